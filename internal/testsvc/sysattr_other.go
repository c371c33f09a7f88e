//go:build !linux

package testsvc

import "syscall"

// attr runs a server as the current user (tests run as root only on Linux CI).
func (u *user) attr() *syscall.SysProcAttr { return nil }
