// Package loadtest is `mcu load`: it puts a running mcu server under a
// known load and reports how it held up.
//
// N simulated participants (client.Connect, endpoint Join) join one room a
// ramp apart, each sending clips in a loop and receiving the mix. Every
// receiver counts the mix's frames from RTP (cheap); a few also decode it
// and check the picture. Once a second a progress line gives the received
// frame rate and bitrate; at the end a summary gives join-to-first-frame,
// per-receiver frame rates and freezes, the server process's CPU and memory
// (from /proc), the server's own histograms and counters (from /metrics,
// the difference between a scrape at the start and one at the end), and
// the codec cost of the same load measured in this process before and after
// the run (see cost.go for what it counts), so that server CPU / codec cost says
// how much the server spends beyond decoding and encoding.
//
// The load tool shares the machine with the server when both run on it:
// its own CPU time and the machine's are reported too, so the figures can
// be told apart.
package loadtest
