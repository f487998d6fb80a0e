//go:build race

package mixer

// raceOn: the race detector is on; tests that paint many large pictures
// do fewer (it slows them some tenfold).
const raceOn = true
