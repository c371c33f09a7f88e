package testsvc

import (
	"fmt"
	"os"
	osuser "os/user"
	"strconv"
)

// user is the account a server runs as: the service account when the tests run as root
// (PostgreSQL refuses root), else the current user (uid < 0).
type user struct{ uid, gid int }

func serviceUser(name string) (*user, error) {
	if os.Geteuid() != 0 {
		return &user{uid: -1, gid: -1}, nil
	}
	u, err := osUser(name)
	if err != nil {
		return nil, fmt.Errorf("running as root and no %q user to run the server as: %w", name, err)
	}
	return u, nil
}

func osUser(name string) (*user, error) {
	u, err := osuser.Lookup(name)
	if err != nil {
		return nil, err
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, err
	}
	return &user{uid: uid, gid: gid}, nil
}

func (u *user) chown(path string) error {
	if u.uid < 0 {
		return nil
	}
	return os.Chown(path, u.uid, u.gid)
}
