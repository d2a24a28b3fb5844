package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// History lists are chronological (oldest first) and hold the newest `limit`
// rows; a limit <= 0 means 1,000 and no query returns more than 10,000.
//
// History is bounded as it is written: balance samples older than 30 days
// (measured from the newest sample) are dropped and at most 50,000 kept;
// the newest 5,000 connection events and 500 backup records per agent are
// kept. Chat history is capped as a whole, since any local client can
// invent rooms: 1,000 messages per room, the 100 most recently used rooms
// per agent, 100,000 messages in all, and when the database's used space
// passes 256 MiB (long messages) the oldest messages go first.

// BalanceSample is one credit-balance reading, for the balance chart and the
// burn-rate estimate.
type BalanceSample struct {
	At      time.Time `json:"at"`
	Balance float64   `json:"balance"`
}

// ConnectionEvent is one connection state change.
type ConnectionEvent struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	AgentID string    `json:"agentId"`
	State   string    `json:"state"`
	Detail  string    `json:"detail,omitempty"`
}

// BackupRecord is one snapshot attempt, successful or not.
type BackupRecord struct {
	ID        int64     `json:"id"`
	At        time.Time `json:"at"`
	AgentID   string    `json:"agentId"`
	OK        bool      `json:"ok"`
	BackupID  string    `json:"backupId,omitempty"`
	SizeBytes *int64    `json:"sizeBytes,omitempty"`
	Error     string    `json:"error,omitempty"`
	// Final marks the snapshot taken while disconnecting.
	Final bool `json:"final"`
}

// ChatMessage is one message of a chat room with an agent.
type ChatMessage struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	AgentID string    `json:"agentId"`
	RoomID  string    `json:"roomId"`
	Role    string    `json:"role"` // "user" or "agent"
	Text    string    `json:"text"`
}

// AddBalanceSample records a balance reading and drops samples older than
// 30 days before it.
func (d *DB) AddBalanceSample(ctx context.Context, at time.Time, balance float64) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO balance_samples (at, balance) VALUES (?, ?)`, ms(at), balance); err != nil {
			return fmt.Errorf("save balance sample: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM balance_samples
			WHERE at < (SELECT MAX(at) FROM balance_samples) - ?`, d.keep.balanceAge.Milliseconds()); err != nil {
			return fmt.Errorf("prune balance samples: %w", err)
		}
		return pruneNewest(ctx, tx, "balance_samples", "", d.keep.balanceRows)
	})
}

// BalanceSamples returns the newest samples taken at or after since.
func (d *DB) BalanceSamples(ctx context.Context, since time.Time, limit int) ([]BalanceSample, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT at, balance FROM (
			SELECT id, at, balance FROM balance_samples WHERE at >= ? ORDER BY at DESC, id DESC LIMIT ?
		) ORDER BY at, id`, ms(since), d.limit(limit))
	if err != nil {
		return nil, fmt.Errorf("read balance samples: %w", err)
	}
	defer rows.Close()
	var out []BalanceSample
	for rows.Next() {
		var at int64
		var s BalanceSample
		if err := rows.Scan(&at, &s.Balance); err != nil {
			return nil, fmt.Errorf("read balance samples: %w", err)
		}
		s.At = fromMS(at)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read balance samples: %w", err)
	}
	return out, nil
}

// AddConnectionEvent records a connection state change.
func (d *DB) AddConnectionEvent(ctx context.Context, at time.Time, agentID, state, detail string) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO connection_events (at, agent_id, state, detail) VALUES (?, ?, ?, ?)`,
			ms(at), agentID, state, detail); err != nil {
			return fmt.Errorf("save connection event: %w", err)
		}
		return pruneNewest(ctx, tx, "connection_events", "", d.keep.connEvents)
	})
}

// ConnectionEvents returns the newest connection events.
func (d *DB) ConnectionEvents(ctx context.Context, limit int) ([]ConnectionEvent, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, at, agent_id, state, detail FROM (
			SELECT * FROM connection_events ORDER BY at DESC, id DESC LIMIT ?
		) ORDER BY at, id`, d.limit(limit))
	if err != nil {
		return nil, fmt.Errorf("read connection events: %w", err)
	}
	defer rows.Close()
	var out []ConnectionEvent
	for rows.Next() {
		var at int64
		var e ConnectionEvent
		if err := rows.Scan(&e.ID, &at, &e.AgentID, &e.State, &e.Detail); err != nil {
			return nil, fmt.Errorf("read connection events: %w", err)
		}
		e.At = fromMS(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read connection events: %w", err)
	}
	return out, nil
}

// AddBackup records a snapshot attempt.
func (d *DB) AddBackup(ctx context.Context, b BackupRecord) error {
	return d.tx(ctx, func(tx *sql.Tx) error {
		var size any
		if b.SizeBytes != nil {
			size = *b.SizeBytes
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO backups (at, agent_id, ok, backup_id, size_bytes, error, final)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, ms(b.At), b.AgentID, b.OK, b.BackupID, size, b.Error, b.Final); err != nil {
			return fmt.Errorf("save backup record: %w", err)
		}
		return pruneNewest(ctx, tx, "backups", "agent_id", d.keep.backupsPer, b.AgentID)
	})
}

// Backups returns the newest backup records of an agent ("" for all agents).
func (d *DB) Backups(ctx context.Context, agentID string, limit int) ([]BackupRecord, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, at, agent_id, ok, backup_id, size_bytes, error, final FROM (
			SELECT * FROM backups WHERE ? = '' OR agent_id = ? ORDER BY at DESC, id DESC LIMIT ?
		) ORDER BY at, id`, agentID, agentID, d.limit(limit))
	if err != nil {
		return nil, fmt.Errorf("read backups: %w", err)
	}
	defer rows.Close()
	var out []BackupRecord
	for rows.Next() {
		var at int64
		var size sql.NullInt64
		var b BackupRecord
		if err := rows.Scan(&b.ID, &at, &b.AgentID, &b.OK, &b.BackupID, &size, &b.Error, &b.Final); err != nil {
			return nil, fmt.Errorf("read backups: %w", err)
		}
		b.At = fromMS(at)
		if size.Valid {
			b.SizeBytes = &size.Int64
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read backups: %w", err)
	}
	return out, nil
}

// AddChatMessage stores one chat message; Role must be "user" or "agent".
func (d *DB) AddChatMessage(ctx context.Context, m ChatMessage) error {
	if m.Role != "user" && m.Role != "agent" {
		return fmt.Errorf("save chat message: role %q is not user or agent", m.Role)
	}
	return d.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO chat_messages (at, agent_id, room_id, role, text) VALUES (?, ?, ?, ?, ?)`,
			ms(m.At), m.AgentID, m.RoomID, m.Role, m.Text); err != nil {
			return fmt.Errorf("save chat message: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM chat_messages WHERE id IN (
				SELECT id FROM chat_messages WHERE agent_id = ? AND room_id = ?
				ORDER BY at DESC, id DESC LIMIT -1 OFFSET ?)`,
			m.AgentID, m.RoomID, d.keep.chatPerRoom); err != nil {
			return fmt.Errorf("prune chat messages: %w", err)
		}
		return d.pruneChat(ctx, tx, m.AgentID, m.RoomID)
	})
}

// ChatMessages returns the newest messages of one agent's room, oldest first.
func (d *DB) ChatMessages(ctx context.Context, agentID, roomID string, limit int) ([]ChatMessage, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT id, at, agent_id, room_id, role, text FROM (
			SELECT * FROM chat_messages WHERE agent_id = ? AND room_id = ? ORDER BY at DESC, id DESC LIMIT ?
		) ORDER BY at, id`, agentID, roomID, d.limit(limit))
	if err != nil {
		return nil, fmt.Errorf("read chat messages: %w", err)
	}
	defer rows.Close()
	var out []ChatMessage
	for rows.Next() {
		var at int64
		var m ChatMessage
		if err := rows.Scan(&m.ID, &at, &m.AgentID, &m.RoomID, &m.Role, &m.Text); err != nil {
			return nil, fmt.Errorf("read chat messages: %w", err)
		}
		m.At = fromMS(at)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read chat messages: %w", err)
	}
	return out, nil
}

// pruneNewest keeps the newest keep rows of table (of one group when
// groupCol is set), by time then insertion order. The (…, at, id) indexes
// make the OFFSET walk cost about keep index steps.
func pruneNewest(ctx context.Context, tx *sql.Tx, table, groupCol string, keep int, group ...any) error {
	// table and groupCol are constants of this package, never user input.
	where, args := "", []any{}
	if groupCol != "" {
		where, args = "WHERE "+groupCol+" = ?", group
	}
	q := `DELETE FROM ` + table + ` WHERE id IN (
		SELECT id FROM ` + table + ` ` + where + ` ORDER BY at DESC, id DESC LIMIT -1 OFFSET ?)`
	if _, err := tx.ExecContext(ctx, q, append(args, keep)...); err != nil {
		return fmt.Errorf("prune %s: %w", table, err)
	}
	return nil
}

// pruneChat bounds chat history beyond one room after a message was added
// to agentID's roomID. Each step is cheap on the common path: the room
// count is only checked when the room is new, the total is a range on the
// rowid, and the size comes from two O(1) pragmas.
func (d *DB) pruneChat(ctx context.Context, tx *sql.Tx, agentID, roomID string) error {
	var inRoom int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM chat_messages
		WHERE agent_id = ? AND room_id = ? LIMIT 2)`, agentID, roomID).Scan(&inRoom); err != nil {
		return fmt.Errorf("count chat messages: %w", err)
	}
	if inRoom == 1 { // a new room: drop the least recently used beyond the cap
		if _, err := tx.ExecContext(ctx, `DELETE FROM chat_messages WHERE agent_id = ? AND room_id IN (
				SELECT room_id FROM chat_messages WHERE agent_id = ?
				GROUP BY room_id ORDER BY MAX(id) DESC LIMIT -1 OFFSET ?)`,
			agentID, agentID, d.keep.chatRooms); err != nil {
			return fmt.Errorf("prune chat rooms: %w", err)
		}
	}
	// Ids grow with every insert, so the newest chatTotal messages all have
	// ids above MAX(id) - chatTotal (fewer when earlier ones were pruned).
	if _, err := tx.ExecContext(ctx, `DELETE FROM chat_messages
		WHERE id <= (SELECT MAX(id) FROM chat_messages) - ?`, d.keep.chatTotal); err != nil {
		return fmt.Errorf("prune chat history: %w", err)
	}
	for range 32 {
		used, err := usedBytes(ctx, tx)
		if err != nil {
			return err
		}
		if used <= d.keep.chatBytes {
			return nil
		}
		// The oldest tenth (at least one) of the messages, until it fits.
		res, err := tx.ExecContext(ctx, `DELETE FROM chat_messages WHERE id IN (
				SELECT id FROM chat_messages ORDER BY id
				LIMIT MAX(1, (SELECT COUNT(*) FROM chat_messages) / 10))`)
		if err != nil {
			return fmt.Errorf("prune chat history by size: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
	}
	return nil
}

// usedBytes is the space the database's live pages take (the file minus its
// free list, which SQLite reuses before growing the file).
func usedBytes(ctx context.Context, tx *sql.Tx) (int64, error) {
	var used int64
	if err := tx.QueryRowContext(ctx, `SELECT (p.page_count - f.freelist_count) * s.page_size
		FROM pragma_page_count() p, pragma_freelist_count() f, pragma_page_size() s`).Scan(&used); err != nil {
		return 0, fmt.Errorf("read database size: %w", err)
	}
	return used, nil
}
