package server_test

import (
	"context"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"mcu/client"
	"mcu/internal/testserver"
)

// TestRecordingLipSync: a participant whose picture flashes white and
// whose sound beeps at the same instants, once a second; in the room's
// recording, as a player reads it (FFmpeg's blackdetect and silencedetect
// on the file's own times), each beep starts within lip-sync tolerance of
// its flash: the sound at most 45 ms ahead of the picture, 125 ms behind
// (ITU-R BT.1359). Also 2 s after the participant's sound was held up on
// its way for 250 ms (late, none lost): the delay that stall added to
// their sound goes again (it used to stay for a minute). The offsets are
// logged.
func TestRecordingLipSync(t *testing.T) {
	if testing.Short() {
		t.Skip("real time")
	}
	dir := t.TempDir()
	video, audio := filepath.Join(dir, "flash.ivf"), filepath.Join(dir, "beep.ogg")
	// 200 ms of white and of a 1 kHz tone at the start of every second,
	// 14 s: longer than the test, as the client's loops would add the
	// Opus file's padding to its sound each time round. The tone's volume
	// is switched per 10 ms frame of the source (FFmpeg's default of 1024
	// samples would start each beep up to 21 ms late).
	tool(t, "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=black:s=320x180:r=30:d=14,drawbox=c=white:t=fill:enable='lt(mod(t,1),0.2)'",
		"-c:v", "libvpx", "-threads", "1", "-deadline", "realtime", "-b:v", "300k", "-g", "30", video)
	tool(t, "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=1000:r=48000:d=14:samples_per_frame=480,volume=0:enable='gte(mod(t,1),0.2)'",
		"-ac", "2", "-c:a", "libopus", "-b:a", "64k", audio)

	cases := []struct {
		name  string
		holds int           // stalls of the sound, holdEvery apart
		stall time.Duration // each
	}{
		{"steady", 0, 0},
		{"a stall", 1, 250 * time.Millisecond},
		// Six runs dry (each stall longer than the most the queue holds):
		// the sound waits its most, 120 ms longer, and the picture as much.
		{"late again and again", 6, 250 * time.Millisecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := testserver.Start(t, nil)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := client.Connect(ctx, client.Options{Server: srv.URL, Room: "sync", Name: "s", Video: video, Audio: audio})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			time.Sleep(time.Second) // the first pictures and sound reach the mix
			api(t, http.MethodPost, srv.URL+"/api/rooms/sync/recording", http.StatusCreated)
			const stallAt, holdEvery, length = 1300 * time.Millisecond, 600 * time.Millisecond, 10 * time.Second
			type roomInfo struct {
				Participants []struct {
					Audio struct {
						Underruns int
						Lag       int `json:"lag_ms"`
					} `json:"audio"`
				} `json:"participants"`
			}
			audioState := func() (underruns, lag int) {
				var info roomInfo
				getJSON(t, srv.URL+"/api/rooms/sync", &info)
				if len(info.Participants) != 1 {
					t.Fatalf("room %+v: want one participant", info)
				}
				return info.Participants[0].Audio.Underruns, info.Participants[0].Audio.Lag
			}
			// A machine too slow for the sender (its sound late at the
			// server outside the stalls) raises the sound's queue by up to
			// a frame for each dry tick: that much more delay is allowed.
			var slow int
			stalled := stallAt + time.Duration(tc.holds-1)*holdEvery
			if tc.holds > 0 {
				time.Sleep(stallAt)
				slow, _ = audioState()
				for i := range tc.holds {
					if i > 0 {
						time.Sleep(holdEvery)
					}
					c.HoldAudio(tc.stall)
				}
				time.Sleep(length - stalled)
				underruns, lag := audioState()
				if underruns == slow {
					t.Fatal("the participant's sound never ran dry in the stalls")
				}
				if want := 20 * tc.holds; lag < want {
					t.Fatalf("after %d stalls the sound waits %d ms longer, want %d or more", tc.holds, lag, want)
				}
			} else {
				time.Sleep(length)
				slow, _ = audioState()
			}
			path := api(t, http.MethodDelete, srv.URL+"/api/rooms/sync/recording", http.StatusOK)["path"]
			if slow > 0 {
				t.Logf("%d dry ticks outside a stall: the machine is slow for the sender", slow)
			}
			behind := 125*time.Millisecond + time.Duration(slow)*20*time.Millisecond
			// A stall of the sender long enough to run its sound dry held
			// its pictures too, for all of its length: its sound's queue
			// (40 ms at the start) hid the first 40 ms of it, a picture has
			// none. Only then may a picture come later than ITU-R BT.1359's
			// 45 ms after its sound.
			ahead := 45 * time.Millisecond
			if slow > 0 {
				ahead += 40*time.Millisecond + time.Duration(slow)*20*time.Millisecond
			}

			out := tool(t, "ffmpeg", "-hide_banner", "-nostats", "-i", path,
				"-vf", "blackdetect=d=0.1:pix_th=0.2", "-af", "silencedetect=n=-40dB:d=0.1", "-f", "null", "-")
			flashes := times(out, `black_end:\s*([0-9.]+)`)
			beeps := times(out, `silence_end:\s*([0-9.]+)`)
			if len(flashes) < 4 || len(beeps) < 4 {
				t.Fatalf("%d flashes and %d beeps found in 10 s of recording, want 4 or more of each:\n%s", len(flashes), len(beeps), out)
			}
			var offsets []time.Duration
			checked := 0
			for _, f := range flashes {
				// The beep nearest the flash: they are a second apart.
				best := beeps[0]
				for _, b := range beeps {
					if (b - f).Abs() < (best - f).Abs() {
						best = b
					}
				}
				d := best - f
				offsets = append(offsets, d)
				// After a stall, from 2 s after it (the recording starts
				// within a frame of its request).
				if tc.holds > 0 && f < stalled+tc.stall+2*time.Second {
					continue
				}
				checked++
				if d < -ahead || d > behind {
					t.Errorf("flash at %v, its beep at %v: the sound %v behind the picture, want within -%v to +%v", f, best, d, ahead, behind)
				}
			}
			if checked < 2 {
				t.Errorf("%d flashes checked, want 2 or more: flashes at %v", checked, flashes)
			}
			t.Logf("sound behind the picture, each flash: %v", offsets)
		})
	}
}

// tool runs a command and returns its output (stdout and stderr).
func tool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", name, err, out)
	}
	return string(out)
}

// times reads the seconds captured by re in out.
func times(out, re string) []time.Duration {
	var ts []time.Duration
	for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(out, -1) {
		if s, err := strconv.ParseFloat(m[1], 64); err == nil {
			ts = append(ts, time.Duration(s*float64(time.Second)))
		}
	}
	return ts
}
