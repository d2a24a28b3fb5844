//go:build !windows

package config

import (
	"errors"
	"io/fs"
	"os"
)

// syncDir makes a rename in dir durable: on POSIX systems the new directory
// entry reaches the disk only when the folder itself is synced.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, fs.ErrInvalid) {
		return err
	}
	return nil
}
