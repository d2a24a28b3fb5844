// Package reliability holds the reliability suite (docs/ARCHITECTURE.md): the
// real Service and REST API run against the in-process Eliza Cloud
// simulator while the simulator fails in every way it can (HTTP errors,
// timeouts, slow bodies, malformed JSON, redirects, connection resets,
// untrusted TLS, heartbeat outages of every length), while 100 goroutines
// log in, connect, disconnect, log out and chat at once, and while a whole
// session is watched for the API key leaking into logs, responses, events
// or files. A soak test (MILADY_SOAK=10m) checks that goroutines and heap
// stay flat over a long connected session.
//
// The package has no production code: everything is in _test.go files, run
// with `go test -race ./app/reliability/`. The tests only observe the
// product through its public faces (REST, Service.Subscribe, the files it
// writes); a defect they find is fixed in app/ or cloud/, never here.
package reliability
