package config

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// writeFileAtomic replaces path with data so that a crash at any moment
// leaves either the old file or the new one, never a mix: temp file in the
// same folder, write, fsync, chmod, rename, fsync the folder. A missing
// folder is created with mode 0700; an existing folder's mode is left alone.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create config folder: %w", err)
	}
	f, err := os.CreateTemp(dir, tempPattern(path))
	if err != nil {
		return fmt.Errorf("create temp file: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write temp file: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync temp file: %w", err)
	}
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("chmod temp file: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close temp file: %w", err)
	}
	if err = checkWritable(path); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	if err = syncDir(dir); err != nil {
		return fmt.Errorf("sync config folder: %w", err)
	}
	return nil
}

// writeBackupOnce stores data at path unless something is already there: the
// backup is the file as the user wrote it, so a later rewrite must never
// replace it. It reports whether it created the backup.
func writeBackupOnce(path string, data []byte) (bool, error) {
	if _, err := os.Lstat(path); err == nil {
		return false, nil
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tempPattern(path))
	if err != nil {
		return false, fmt.Errorf("create backup temp file: %w", err)
	}
	tmp := f.Name()
	defer func() { _ = os.Remove(tmp) }()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return false, fmt.Errorf("write backup: %w", err)
	}
	// A hard link never replaces an existing file, so two writers cannot
	// overwrite each other's backup; rename is the fallback for file systems
	// without links.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return false, nil
		}
		if err := os.Rename(tmp, path); err != nil {
			return false, fmt.Errorf("save backup %s: %w", path, err)
		}
	}
	if err := syncDir(dir); err != nil {
		return true, fmt.Errorf("sync config folder: %w", err)
	}
	return true, nil
}

// tempPattern names temp files ".milady.json.tmp-*" beside the target, so a
// process killed mid-write leaves a name removeStaleTemps recognises.
func tempPattern(path string) string {
	return "." + filepath.Base(path) + ".tmp-*"
}

// removeStaleTemps deletes temp files left by a process killed while saving.
// Only one instance of the app runs at a time, so none of them is in use.
func removeStaleTemps(path string, log *slog.Logger) {
	dir := filepath.Dir(path)
	var matches []string
	for _, pattern := range []string{tempPattern(path), tempPattern(path + ".bak")} {
		m, err := filepath.Glob(filepath.Join(dir, pattern))
		if err == nil {
			matches = append(matches, m...)
		}
	}
	for _, m := range matches {
		if err := os.Remove(m); err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.Debug("remove stale config temp file", "path", m, "error", err)
		}
	}
}
