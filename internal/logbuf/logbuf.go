// Package logbuf is a buffer that one goroutine may write while another
// reads it: the tests read logs and a child process's output as the code
// under test writes them.
package logbuf

import (
	"bytes"
	"sync"
)

// Buffer collects what is written to it. The zero Buffer is empty and
// ready; it must not be copied once used.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
