package api

import "errors"

var errFailing = errors.New("backend exploded")
