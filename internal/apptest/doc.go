// Package apptest is for tests only: it holds what the harnesses that build
// the real app.Service against the cloud simulator share (the app tests,
// app/reliability and the tray end-to-end tests), so that a change to how a
// Service is put together for a test is made once. Nothing the app ships
// imports it.
//
// Each harness keeps its own specifics (REST server, tray, D-Bus, event
// recorders) and takes from here only the common parts: recorders for the
// Service's environment and browser seams, a goroutine-safe log buffer, the
// Service's construction over a config file and a database, and polling.
package apptest
