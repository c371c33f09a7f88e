package testsvc

import "syscall"

// attr runs a server as u and stops it (SIGQUIT: PostgreSQL's immediate shutdown; Redis exits)
// if the test binary dies without stopping it.
func (u *user) attr() *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Pdeathsig: syscall.SIGQUIT}
	if u.uid >= 0 {
		a.Credential = &syscall.Credential{Uid: uint32(u.uid), Gid: uint32(u.gid)}
	}
	return a
}
