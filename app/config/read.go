package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Limits on milady.json. The real file is a few kilobytes; anything beyond
// these is a mistake or an attack, and reading it would slow every start
// and settings save (a 50 MB file took seconds each time) or crash the
// parser (hujson recurses once per nesting level).
const (
	maxFileSize = 4 << 20 // bytes
	maxDepth    = 1000    // nested arrays and objects
)

// errNotRegular and friends are the reasons a file is unusable; they end up
// in a *ParseError that names the path.
var (
	errTooLarge   = fmt.Errorf("the file is larger than %d MiB", maxFileSize>>20)
	errTooDeep    = fmt.Errorf("the JSON is nested deeper than %d levels", maxDepth)
	errDangling   = errors.New("it is a symbolic link to a file that does not exist")
	errNotRegular = errors.New("not a regular file")
)

// readConfigFile reads milady.json defensively. The file is shared with other
// programs and may be a symlink (dotfile managers), so it is checked before
// it is opened and again after: a FIFO would block the open or the read
// forever, a device like /dev/null reads as an empty config that a login
// would then replace, and a huge file costs seconds. The open is
// non-blocking and the opened descriptor is checked too, so a file swapped
// between the checks is caught. A missing file returns fs.ErrNotExist.
func readConfigFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if li, lerr := os.Lstat(path); lerr == nil && li.Mode()&fs.ModeSymlink != 0 {
			return nil, errDangling
		}
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("inspect file: %w", err)
	}
	if err := usableFile(fi); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNonBlock, 0)
	if err != nil {
		return nil, fmt.Errorf("open file: %w", err)
	}
	defer f.Close()
	fi, err = f.Stat()
	if err != nil {
		return nil, fmt.Errorf("inspect open file: %w", err)
	}
	if err := usableFile(fi); err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read file: %w", err)
	}
	if len(raw) > maxFileSize {
		return nil, errTooLarge
	}
	return raw, nil
}

// usableFile accepts a regular file of at most maxFileSize bytes and names
// what else it found, so the user knows what to fix.
func usableFile(fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: it is %s", errNotRegular, describeMode(fi.Mode()))
	}
	if fi.Size() > maxFileSize {
		return errTooLarge
	}
	return nil
}

// describeMode names a non-regular file type in words.
func describeMode(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	default:
		return "a special file"
	}
}

// checkWritable refuses to replace anything at path but a regular file (or
// nothing): renaming over a device or FIFO the config was swapped for since
// it was read would destroy it (as root, /dev/null became a file holding the
// key).
func checkWritable(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("inspect %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("refuse to replace %s: %w: it is %s", path, errNotRegular, describeMode(fi.Mode()))
	}
	return nil
}

// checkDepth scans for array and object nesting deeper than maxDepth before
// the text reaches hujson, whose recursive parser overflows the stack on a
// few megabytes of "[" (a fatal error, not a recoverable panic). Brackets
// inside strings (double or single quoted, as JSON5 allows) and comments do
// not count.
func checkDepth(b []byte) error {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"', '\'':
			for i++; i < len(b) && b[i] != c; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case '/':
			if i+1 < len(b) && b[i+1] == '/' {
				for i += 2; i < len(b) && b[i] != '\n'; i++ {
				}
			} else if i+1 < len(b) && b[i+1] == '*' {
				for i += 2; i+1 < len(b) && (b[i] != '*' || b[i+1] != '/'); i++ {
				}
				i++
			}
		case '[', '{':
			if depth++; depth > maxDepth {
				return errTooDeep
			}
		case ']', '}':
			depth--
		}
	}
	return nil
}
