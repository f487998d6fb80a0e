package main

import (
	"net"
	"syscall"
)

// bufferHint says how to let the process have larger socket buffers.
const bufferHint = "raise the sysctls net.core.rmem_max and net.core.wmem_max, or run with CAP_NET_ADMIN"

// growBuffers asks for size bytes of receive and send buffer on conn and
// returns what the kernel gave. A process with CAP_NET_ADMIN (root outside
// a container) goes past net.core.rmem_max and wmem_max; any other gets
// at most those.
func growBuffers(conn *net.UDPConn, size int) (read, write int, err error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return 0, 0, err
	}
	err = raw.Control(func(fd uintptr) {
		for _, o := range []struct{ force, plain int }{
			{syscall.SO_RCVBUFFORCE, syscall.SO_RCVBUF},
			{syscall.SO_SNDBUFFORCE, syscall.SO_SNDBUF},
		} {
			if syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, o.force, size) != nil {
				_ = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, o.plain, size) // capped by the sysctl
			}
		}
	})
	if err != nil {
		return 0, 0, err
	}
	return bufferSizes(conn)
}

// bufferSizes returns the receive and send buffers conn has for data.
func bufferSizes(conn *net.UDPConn) (read, write int, err error) {
	raw, err := conn.SyscallConn()
	if err != nil {
		return 0, 0, err
	}
	var serr error
	err = raw.Control(func(fd uintptr) {
		var r, w int
		if r, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF); serr != nil {
			return
		}
		if w, serr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF); serr != nil {
			return
		}
		// The kernel reports twice what it takes for the data: the
		// other half is its bookkeeping.
		read, write = r/2, w/2
	})
	if err == nil {
		err = serr
	}
	return read, write, err
}
