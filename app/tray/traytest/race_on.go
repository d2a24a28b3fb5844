//go:build race

package traytest

// RaceEnabled reports whether the binary was built with -race; tests that
// start the real systray refuse to run then (it races internally).
const RaceEnabled = true
