// Package store is the app's local SQLite database: the local agent's
// record and secrets, small flags, and the history the dashboard draws
// (balance samples, connection events, backups, chat messages).
//
// It uses modernc.org/sqlite, a pure-Go driver, so the binary needs no C
// toolchain for the database.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/adrg/xdg"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/milady-ai/milady-cloud/internal/paths"
)

// FileName is the database file inside the data folder.
const FileName = "milady-cloud.db"

// DB is the open database. It is safe for concurrent use.
type DB struct {
	db   *sql.DB
	path string
	now  func() time.Time // stamps updated_at columns; replaced in tests
	keep retention
	// writeMu is held shared by every write and exclusively by checkpoint.
	writeMu sync.RWMutex
}

// retention bounds the history tables so the file does not grow forever.
type retention struct {
	balanceAge    time.Duration // balance samples older than this are dropped
	balanceRows   int           // and at most this many are kept
	connEvents    int           // newest connection events kept
	backupsPer    int           // newest backup records kept per agent
	chatPerRoom   int           // newest chat messages kept per agent and room
	chatRooms     int           // most recently used rooms kept per agent
	chatTotal     int           // newest chat messages kept over all agents
	chatBytes     int64         // the database's used pages beyond which the oldest chat goes
	defaultLimit  int           // rows a history query returns when limit <= 0
	maxQueryLimit int           // and at most
}

var defaultRetention = retention{
	balanceAge:    30 * 24 * time.Hour,
	balanceRows:   50_000,
	connEvents:    5_000,
	backupsPer:    500,
	chatPerRoom:   1_000,
	chatRooms:     100,
	chatTotal:     100_000,
	chatBytes:     256 << 20,
	defaultLimit:  1_000,
	maxQueryLimit: 10_000,
}

// DataDir is the folder for the database: $MILADY_STATE_DIR when set, else
// $XDG_DATA_HOME/milady-cloud (~/.local/share/milady-cloud on Linux). env and
// home are injected for the same reason as in config.ResolvePath.
func DataDir(env func(string) string, home string) string {
	if d := strings.TrimSpace(env("MILADY_STATE_DIR")); d != "" {
		return paths.ExpandHome(d, home) // as config.ResolvePath reads it
	}
	if x := env("XDG_DATA_HOME"); x != "" && filepath.IsAbs(x) {
		return filepath.Join(x, "milady-cloud")
	}
	if home == "" || runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		return filepath.Join(xdg.DataHome, "milady-cloud")
	}
	return filepath.Join(home, ".local", "share", "milady-cloud")
}

// Open opens (creating if needed) dir/milady-cloud.db. A missing folder is
// created with mode 0700 (an existing one keeps its mode); the file is 0600
// because it holds the API key. Every connection runs in WAL mode with a
// busy timeout and foreign keys on, and write transactions take the write
// lock at BEGIN so that concurrent writers wait instead of failing.
// Migrations bring the schema up to date.
func Open(dir string) (*DB, error) {
	if dir == "" {
		return nil, errors.New("open database: empty folder")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	// Absolute, because a URI has no relative form that SQLite reads as a
	// path ("file:rel/x" would name a host).
	path, err := filepath.Abs(filepath.Join(dir, FileName))
	if err != nil {
		return nil, fmt.Errorf("resolve database path: %w", err)
	}
	if err := ensurePrivateFile(path); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)") // WAL: durable at checkpoints, never corrupt
	// Deleted content is overwritten with zeros, so that the API key removed
	// at log-out does not linger in free space of the file.
	q.Add("_pragma", "secure_delete(1)")
	q.Set("_txlock", "immediate")
	dsn := fileURI(path, runtime.GOOS, q.Encode())
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	sqldb.SetMaxOpenConns(4)
	d := &DB{db: sqldb, path: path, now: time.Now, keep: defaultRetention}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := d.init(ctx); err != nil {
		_ = sqldb.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return d, nil
}

func (d *DB) init(ctx context.Context) error {
	var mode string
	if err := d.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, want wal", mode)
	}
	if err := d.migrate(ctx); err != nil {
		return err
	}
	// SQLite gives the -wal and -shm files the main file's mode; make sure
	// of it, since the WAL holds recent secrets too. Not on Windows: there a
	// mode is only the read-only flag (privacy comes from the ACL inherited
	// from the user's profile folder), and SQLite holds the -shm file open
	// without sharing, so changing its attributes fails with a sharing
	// violation.
	if runtime.GOOS == "windows" {
		return nil
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Chmod(d.path+suffix, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("chmod %s: %w", d.path+suffix, err)
		}
	}
	return nil
}

// fileURI is the SQLite URI of the database file at the absolute path on goos, with the
// query string q. SQLite takes "file:" URIs with an empty authority and a
// slash-separated path; on Windows the drive letter follows a third slash
// (file:///C:/Users/…), since "file://C:%5CUsers…" reads "C:" as a host
// and fails with "invalid uri authority". A UNC path \\server\share\x
// becomes file:////server/share/x, which SQLite hands to Windows as
// //server/share/x. Characters with a meaning in URIs ('?', '#', '%', spaces)
// are percent-escaped, and SQLite decodes them.
func fileURI(path, goos, q string) string {
	p := path
	if goos == "windows" {
		p = strings.ReplaceAll(p, `\`, "/")
		if !strings.HasPrefix(p, "/") {
			p = "/" + p // C:/x → /C:/x
		}
	}
	return (&url.URL{Scheme: "file", Path: p, RawQuery: q}).String()
}

// ensurePrivateFile creates the database file with mode 0600 before SQLite
// opens it (SQLite would use 0644), and tightens an existing file.
func ensurePrivateFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("chmod database file: %w", err)
	}
	return nil
}

// Path is the database file.
func (d *DB) Path() string { return d.path }

// Close closes the database; the WAL is checkpointed by SQLite.
func (d *DB) Close() error {
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// tx runs fn in a write transaction (BEGIN IMMEDIATE, see Open).
func (d *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	d.writeMu.RLock()
	defer d.writeMu.RUnlock()
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// exec runs one write statement outside a transaction.
func (d *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	d.writeMu.RLock()
	defer d.writeMu.RUnlock()
	return d.db.ExecContext(ctx, query, args...)
}

// limit clamps a caller's row limit.
func (d *DB) limit(n int) int {
	if n <= 0 {
		return d.keep.defaultLimit
	}
	return min(n, d.keep.maxQueryLimit)
}

// ms is the storage form of a time: Unix milliseconds, UTC.
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS reads a stored time back, in UTC.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }
