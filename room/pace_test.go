package room

import (
	"testing"
	"time"

	"mcu/audio"
)

// TestPaceKeepsTheLeadAfterAStall: media is decoded up to lead ahead of
// the wall clock, and a stall (or a silence) is kept up to lead more, so
// the burst that follows a stall is decoded; an hour's silence buys no
// more than that; a time before the first counts as the first.
func TestPaceKeepsTheLeadAfterAStall(t *testing.T) {
	const lead = frameLead // 2 s
	frame := audio.FrameDuration
	t0 := time.Unix(1_000_000, 0)
	// burst returns how much media a sender gets decoded at once at now.
	burst := func(p *pace, now time.Time) time.Duration {
		var got time.Duration
		for !p.ahead(now, lead) && got < time.Hour {
			p.add(frame)
			got += frame
		}
		return got
	}
	// realTime sends d of media in real time from start.
	realTime := func(p *pace, start time.Time, d time.Duration) {
		for at := time.Duration(0); at < d; at += frame {
			if p.ahead(start.Add(at), lead) {
				t.Fatalf("paced at %v of a sender in real time", at)
			}
			p.add(frame)
		}
	}
	tests := []struct {
		name     string
		stall    time.Duration
		min, max time.Duration // of the burst after it
	}{
		{"no stall", 0, lead, lead + frame},
		{"a stall shorter than the lead", lead / 2, lead + lead/2, lead + lead/2 + frame},
		{"a 5 s stall", 5 * time.Second, 2 * lead, 2*lead + frame},
		{"an hour of silence", time.Hour, 2 * lead, 2*lead + frame},
	}
	for _, tt := range tests {
		var p pace
		realTime(&p, t0, 10*time.Second)
		end := t0.Add(10 * time.Second)
		// The slack of a fast clock (1/64 of the time since the start) adds
		// a little: at most 10 s / 64 here.
		slack := (10*time.Second + min(tt.stall, lead)) / paceSlack
		if got := burst(&p, end.Add(tt.stall)); got < tt.min || got > tt.max+slack {
			t.Errorf("%s: a burst of %v decoded after it, want %v to %v", tt.name, got, tt.min, tt.max+slack)
		}
	}

	var p pace
	if p.ahead(t0, lead) {
		t.Fatal("the first packet paced")
	}
	if p.ahead(t0.Add(-2*lead), lead) {
		t.Errorf("a packet timed %v before the first paced, want it taken as at the first", 2*lead)
	}
}

// TestPaceTakesAFastSenderForAFlood: a sender 3 % faster than real time
// (twice what paceSlack lets pass, beyond any real clock's drift) is
// paced within the hour.
func TestPaceTakesAFastSenderForAFlood(t *testing.T) {
	var p pace
	t0 := time.Unix(1_000_000, 0)
	rate := 1.03
	step := time.Duration(float64(audio.FrameDuration) / rate)
	for i := range int(time.Hour / step) {
		if p.ahead(t0.Add(time.Duration(i)*step), decodeLead) {
			return
		}
		p.add(audio.FrameDuration)
	}
	t.Error("a sender at 1.03 times real time never paced in an hour, want it taken for a flood")
}
