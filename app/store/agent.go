package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// LocalAgent returns the local agent's id, a UUID made the first time it is
// asked for and the same for the life of the database.
func (d *DB) LocalAgent(ctx context.Context) (string, error) {
	var id string
	err := d.tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = localAgentTx(ctx, tx, d)
		return err
	})
	return id, err
}

func localAgentTx(ctx context.Context, tx *sql.Tx, d *DB) (string, error) {
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO local_agent (id, agent_uuid, created_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING`,
		uuid.NewString(), ms(d.now())); err != nil {
		return "", fmt.Errorf("create local agent: %w", err)
	}
	var id string
	if err := tx.QueryRowContext(ctx, `SELECT agent_uuid FROM local_agent WHERE id = 1`).Scan(&id); err != nil {
		return "", fmt.Errorf("read local agent: %w", err)
	}
	return id, nil
}

// SetSecret stores a secret of the local agent (creating the agent record if
// needed), e.g. ELIZAOS_CLOUD_API_KEY at login. The file is 0600; values
// are not encrypted. The WAL is checkpointed afterwards so that the value it
// replaced is gone from disk at once (see checkpoint).
func (d *DB) SetSecret(ctx context.Context, name, value string) error {
	err := d.tx(ctx, func(tx *sql.Tx) error {
		id, err := localAgentTx(ctx, tx, d)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO agent_secrets (agent_uuid, name, value, updated_at)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (agent_uuid, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			id, name, value, ms(d.now())); err != nil {
			return fmt.Errorf("save secret %s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return d.checkpoint(ctx)
}

// DeleteSecret removes a secret of the local agent (at log-out); a secret
// that is not there is not an error. The WAL is checkpointed afterwards, so
// the value is in no file of the data folder once this returns.
func (d *DB) DeleteSecret(ctx context.Context, name string) error {
	if _, err := d.exec(ctx,
		`DELETE FROM agent_secrets WHERE name = ? AND agent_uuid = (SELECT agent_uuid FROM local_agent WHERE id = 1)`,
		name); err != nil {
		return fmt.Errorf("delete secret %s: %w", name, err)
	}
	return d.checkpoint(ctx)
}

// checkpoint copies the WAL into the database file and truncates it. A
// deleted or replaced secret otherwise lingers in the WAL (the page images
// of earlier transactions) until the next automatic checkpoint or a clean
// shutdown, and survives a kill; secure_delete then zeroes it in the main
// file as the page is written back. TRUNCATE waits (through the busy
// timeout) for readers that still use the old WAL frames.
//
// Writers of this package are held off meanwhile (writeMu), since SQLite's
// sleeping busy handler lets a stream of writers starve the checkpoint;
// a reader still in the old WAL can make it busy, so it is tried again.
func (d *DB) checkpoint(ctx context.Context) error {
	d.writeMu.Lock()
	defer d.writeMu.Unlock()
	var busy, logFrames, done int
	for try := 0; ; try++ {
		if err := d.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done); err != nil {
			return fmt.Errorf("checkpoint database: %w", err)
		}
		if busy == 0 {
			return nil
		}
		if try == 20 {
			return fmt.Errorf("checkpoint database: still busy after %d tries", try+1)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("checkpoint database: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Secret returns a secret of the local agent and whether it is set.
func (d *DB) Secret(ctx context.Context, name string) (string, bool, error) {
	var v string
	err := d.db.QueryRowContext(ctx,
		`SELECT s.value FROM agent_secrets s JOIN local_agent a ON a.agent_uuid = s.agent_uuid
		 WHERE a.id = 1 AND s.name = ?`, name).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("read secret %s: %w", name, err)
	}
	return v, true, nil
}

// SetFlag stores a small piece of app state, e.g. "logged_out".
func (d *DB) SetFlag(ctx context.Context, name, value string) error {
	if _, err := d.exec(ctx, `INSERT INTO flags (name, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		name, value, ms(d.now())); err != nil {
		return fmt.Errorf("save flag %s: %w", name, err)
	}
	return nil
}

// Flag returns a flag and whether it is set.
func (d *DB) Flag(ctx context.Context, name string) (string, bool, error) {
	var v string
	err := d.db.QueryRowContext(ctx, `SELECT value FROM flags WHERE name = ?`, name).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("read flag %s: %w", name, err)
	}
	return v, true, nil
}

// DeleteFlag removes a flag; a flag that is not set is not an error.
func (d *DB) DeleteFlag(ctx context.Context, name string) error {
	if _, err := d.exec(ctx, `DELETE FROM flags WHERE name = ?`, name); err != nil {
		return fmt.Errorf("delete flag %s: %w", name, err)
	}
	return nil
}
