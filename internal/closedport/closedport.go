// Package closedport gives a loopback address that refuses connections
// for the life of the process. A port merely released (listen on :0, then
// close) can be taken by the next listener of a test or scenario running
// beside it, and a probe meant to be refused would reach that server
// instead. This port stays bound, never listening: a connect to it is
// refused and no listener can take it.
package closedport

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
)

// Addr returns the refusing address, 127.0.0.1:PORT, the same at every
// call.
func Addr() (string, error) { return bound() }

var bound = sync.OnceValues(func() (string, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return "", fmt.Errorf("closed port: %w", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		_ = syscall.Close(fd)
		return "", fmt.Errorf("closed port: %w", err)
	}
	sa, err := syscall.Getsockname(fd)
	in4, ok := sa.(*syscall.SockaddrInet4)
	if err != nil || !ok {
		_ = syscall.Close(fd)
		return "", fmt.Errorf("closed port: getsockname: %v", err)
	}
	// fd stays open: the port stays bound
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(in4.Port)), nil
})
