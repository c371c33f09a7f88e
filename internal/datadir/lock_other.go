//go:build !unix

package datadir

import "os"

// Without flock the lock is not enforced; restore then relies on probing the server's port.
func lockFile(*os.File) error   { return nil }
func unlockFile(*os.File) error { return nil }
