package store

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are the schema, in order: migrations[i] brings the database to
// version i+1. Never edit a released entry; append a new one.
var migrations = []string{
	// 1: local agent record and secrets, flags, history.
	`
CREATE TABLE local_agent (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	agent_uuid TEXT    NOT NULL UNIQUE,
	created_at INTEGER NOT NULL
);
CREATE TABLE agent_secrets (
	agent_uuid TEXT    NOT NULL REFERENCES local_agent(agent_uuid) ON DELETE CASCADE,
	name       TEXT    NOT NULL,
	value      TEXT    NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (agent_uuid, name)
);
CREATE TABLE flags (
	name       TEXT    PRIMARY KEY,
	value      TEXT    NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE TABLE balance_samples (
	id      INTEGER PRIMARY KEY,
	at      INTEGER NOT NULL,
	balance REAL    NOT NULL
);
CREATE INDEX balance_samples_at ON balance_samples (at, id);
CREATE TABLE connection_events (
	id       INTEGER PRIMARY KEY,
	at       INTEGER NOT NULL,
	agent_id TEXT    NOT NULL,
	state    TEXT    NOT NULL,
	detail   TEXT    NOT NULL
);
CREATE INDEX connection_events_at ON connection_events (at, id);
CREATE TABLE backups (
	id         INTEGER PRIMARY KEY,
	at         INTEGER NOT NULL,
	agent_id   TEXT    NOT NULL,
	ok         INTEGER NOT NULL,
	backup_id  TEXT    NOT NULL,
	size_bytes INTEGER,
	error      TEXT    NOT NULL,
	final      INTEGER NOT NULL
);
CREATE INDEX backups_agent_at ON backups (agent_id, at, id);
CREATE TABLE chat_messages (
	id       INTEGER PRIMARY KEY,
	at       INTEGER NOT NULL,
	agent_id TEXT    NOT NULL,
	room_id  TEXT    NOT NULL,
	role     TEXT    NOT NULL CHECK (role IN ('user', 'agent')),
	text     TEXT    NOT NULL
);
CREATE INDEX chat_messages_room ON chat_messages (agent_id, room_id, at, id);
`,
}

// migrate applies the migrations the database has not seen, each in its
// own transaction together with its schema_migrations row, so a crash
// between two leaves a consistent version. A database written by a newer
// app (a version this one does not know) is refused rather than guessed at.
func (d *DB) migrate(ctx context.Context) error {
	if _, err := d.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for {
		applied := false
		err := d.tx(ctx, func(tx *sql.Tx) error {
			var current int
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
				return fmt.Errorf("read schema version: %w", err)
			}
			if current > len(migrations) {
				return fmt.Errorf("database schema version %d is newer than this app knows (%d)", current, len(migrations))
			}
			if current == len(migrations) {
				return nil
			}
			if _, err := tx.ExecContext(ctx, migrations[current]); err != nil {
				return fmt.Errorf("apply migration %d: %w", current+1, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
				current+1, ms(d.now())); err != nil {
				return fmt.Errorf("record migration %d: %w", current+1, err)
			}
			applied = true
			return nil
		})
		if err != nil || !applied {
			return err
		}
	}
}

// SchemaVersion is the newest migration applied.
func (d *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := d.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}
