// Package redteam replays the attacks found against the app (login CSRF,
// a simulator that overwrote the real key, hostile config files, unbounded
// storage and resources, the key leaking to children and files, URLs with
// credentials, crashes around start-up and shutdown) against the built
// binary, one subtest per attack, each printing a "REDTEAM PASS|FAIL|SKIP"
// verdict line. The tests live behind the redteam build tag so that the
// ordinary `go test ./...` does not run them; `make test-redteam` does:
//
//	REDTEAM_BIN=$PWD/build/bin/milady-cloud go test -count=1 -tags redteam -v ./internal/redteam/
//
// Without REDTEAM_BIN the suite builds a tag-free binary from the module
// root first.
package redteam
