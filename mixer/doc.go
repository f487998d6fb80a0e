// Package mixer is the heart of mcu: one Mixer per room composites every
// participant's picture into one canvas, encodes it once, and mixes the
// audio (the full mix, and for each participant the mix without their own
// voice). A Clock drives it: in real time for a live room, as fast as
// possible offline, with identical results because offline sources block
// until they have the media a tick needs.
//
// Goroutines: Run owns all media state and ticks every 1/fps (video) and
// 20 ms (audio); a second goroutine it starts runs the video encoder, so the
// next canvas is composed while the previous one is encoded. Decoding happens
// in the participants' own goroutines, behind VideoSource and AudioSource.
package mixer
