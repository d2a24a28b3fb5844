package desktop

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// WindowBinaryName is the window executable's name (plus ".exe" on
// Windows).
const WindowBinaryName = "milady-cloud-window"

// FindWindowBinary returns the window executable: $MILADY_WINDOW_BIN when
// set (an override that is wrong is an error, not a reason to look
// elsewhere), else milady-cloud-window next to exe (a build folder, the
// tarball's install), else ../lib/milady-cloud/milady-cloud-window
// relative to exe's folder (the .deb's /usr/lib/milady-cloud/, which keeps
// it off PATH). exe is os.Executable(). The file must be a regular
// executable file; the error names every place looked at and why each was
// refused.
func FindWindowBinary(getenv func(string) string, exe string) (string, error) {
	if p := getenv(WindowBinaryEnv); p != "" {
		if err := checkExecutable(p); err != nil {
			return "", fmt.Errorf("window binary from %s: %w", WindowBinaryEnv, err)
		}
		return p, nil
	}
	if exe == "" {
		return "", fmt.Errorf("window binary: %s is not set and the app's own path is unknown", WindowBinaryEnv)
	}
	name := WindowBinaryName
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	dir := filepath.Dir(exe)
	var tried []string
	for _, p := range []string{
		filepath.Join(dir, name),
		filepath.Join(filepath.Dir(dir), "lib", "milady-cloud", name),
	} {
		err := checkExecutable(p)
		if err == nil {
			return p, nil
		}
		tried = append(tried, err.Error())
	}
	return "", fmt.Errorf("window binary not found (%s unset): %s", WindowBinaryEnv, strings.Join(tried, "; "))
}

// checkExecutable reports why p cannot be run as the window, naming p.
func checkExecutable(p string) error {
	st, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: no such file", p)
	case err != nil:
		return err // *PathError names p
	case !st.Mode().IsRegular():
		return fmt.Errorf("%s: not a regular file", p)
	case runtime.GOOS != "windows" && st.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("%s: not executable", p)
	}
	return nil
}
