package config

// syncDir does nothing on Windows: a folder opened by os.Open cannot be
// flushed there (FlushFileBuffers needs write access, and Go opens folders
// read-only, so File.Sync fails with "Access is denied", golang/go#75541),
// which made every config write fail. NTFS journals the rename itself, so
// the temp-file-then-rename write stays atomic without it.
func syncDir(string) error { return nil }
