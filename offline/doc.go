// Package offline runs the mixing engine over media files, as fast as the
// machine allows (or paced in real time), and writes the result to WebM:
// what `mcu mix` does. Each input is decoded in its own goroutine a little
// ahead of the mixer, through the same decoders the live server uses.
package offline
