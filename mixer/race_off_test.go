//go:build !race

package mixer

const raceOn = false
