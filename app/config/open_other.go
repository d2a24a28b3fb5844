//go:build !unix

package config

// openNonBlock is 0 where FIFOs cannot appear as plain files.
const openNonBlock = 0
