// Wire types: the JSON shapes of the Go DTOs (app, app/api, cloud) and the
// window facade, generated from the Go types by scripts/tsgen into
// ./generated/contract.ts. Do not describe a backend shape by hand: change
// the Go type and run `make generate`; `make lint` fails when it is stale.

export * from './generated/contract';
