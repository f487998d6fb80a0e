package e2e_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"mcu/internal/mediatest"
	"mcu/mixer"
	"mcu/offline"
)

// TestWebMSoundInFirefox has Firefox decode the sound of a WebM that mcu
// wrote (an offline mix; recordings come from the same writer) with the
// Web Audio API, which goes through Firefox's own WebM demuxer and Opus
// decoder: the sound must be there, as long as the mix, and be the one
// participant's tone.
func TestWebMSoundInFirefox(t *testing.T) {
	requireBrowser(t, firefoxPath, "firefox-esr")
	who := mediatest.Participants(t)
	out := filepath.Join(t.TempDir(), "mix.webm")
	p, err := offline.ParseParticipant(mediatest.TestdataPath(t, "p01.ivf") + "+" + mediatest.TestdataPath(t, "p01.ogg"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := mixer.DefaultConfig()
	cfg.Video.Width, cfg.Video.Height = 320, 180
	res, err := offline.Mix(t.Context(), []offline.Participant{p}, offline.Options{Output: out, Mixer: cfg})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<!doctype html><title>mcu WebM</title>")
	})
	mux.HandleFunc("/mix.webm", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "video/webm")
		http.ServeFile(w, r, out)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	f := launchFirefox(t, srv.URL+"/", `document.readyState === "complete"`)
	// The tone's frequency from the zero crossings of the middle second of
	// the left channel.
	var got struct {
		Duration, Peak, Hz float64
	}
	var decoded string
	err = f.eval(`(async () => {
		const data = await (await fetch("/mix.webm")).arrayBuffer();
		const a = await new OfflineAudioContext(2, 48000, 48000).decodeAudioData(data);
		const s = a.getChannelData(0);
		let peak = 0;
		for (const v of s) peak = Math.max(peak, Math.abs(v));
		const from = Math.floor(s.length / 2) - 24000;
		let crossings = 0;
		for (let i = from + 1; i < from + 48000; i++) if ((s[i - 1] < 0) !== (s[i] < 0)) crossings++;
		return JSON.stringify({Duration: a.duration, Peak: peak, Hz: crossings / 2});
	})()`, uiTimeout, &decoded)
	if err != nil {
		t.Fatalf("Firefox cannot decode the sound: %v", err)
	}
	if err := json.Unmarshal([]byte(decoded), &got); err != nil {
		t.Fatal(err)
	}
	if math.Abs(got.Duration-res.Duration.Seconds()) > 0.05 || got.Peak < 0.05 {
		t.Errorf("Firefox decoded %+v, want sound lasting %v", got, res.Duration)
	}
	if want := who[0].ToneHz; math.Abs(got.Hz-want) > 3 {
		t.Errorf("tone of %.1f Hz, want participant 1's %.0f Hz", got.Hz, want)
	}
}
