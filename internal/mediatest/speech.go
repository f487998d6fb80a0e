package mediatest

import "math"

// Speech is a speech-like sound at t seconds, for codecs that treat speech
// apart from tones (Opus codes it in SILK or hybrid packets when it expects
// loss, and only those carry in-band FEC): voice, the first harmonics
// harmonics of a pitch that glides between 120 and 220 Hz (each at 1/h),
// and env, a syllable envelope of about four a second that swells from 0
// to 1 and fades. A caller shapes a sample from them, e.g.
// 0.15 * env * voice of full scale.
func Speech(t float64, harmonics int) (voice, env float64) {
	// The phase of the pitch f(t) = 170 + 50 sin(2π·1.3 t) is its integral.
	phase := 2 * math.Pi * (170*t - 50/(2*math.Pi*1.3)*math.Cos(2*math.Pi*1.3*t))
	for h := 1; h <= harmonics; h++ {
		voice += math.Sin(float64(h)*phase) / float64(h)
	}
	return voice, 0.5 - 0.5*math.Cos(2*math.Pi*4.1*t)
}
