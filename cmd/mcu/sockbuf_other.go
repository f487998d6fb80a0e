//go:build !linux

package main

import "net"

// bufferHint says how to let the process have larger socket buffers (on
// the BSDs and macOS).
const bufferHint = "raise the sysctl kern.ipc.maxsockbuf"

// growBuffers asks for size bytes of receive and send buffer on conn, and
// for half as much again while the system refuses (BSDs refuse anything
// over kern.ipc.maxsockbuf), down to 64 KiB; it returns what was taken
// for each, 0 for one refused at every size.
func growBuffers(conn *net.UDPConn, size int) (read, write int, err error) {
	grow := func(set func(int) error) int {
		for n := size; n >= 64<<10; n /= 2 {
			if set(n) == nil {
				return n
			}
		}
		return 0
	}
	return grow(conn.SetReadBuffer), grow(conn.SetWriteBuffer), nil
}
