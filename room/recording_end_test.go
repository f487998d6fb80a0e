package room

import (
	"os"
	"testing"
	"time"

	"mcu/internal/mediatest"
)

// slowPictures is an observer whose Encode holds each picture back for a
// while before it goes on to the room's outputs: an encoder on a busy
// machine, whose pictures reach a recording frames after the sound of the
// same moments.
type slowPictures struct {
	nopObserver
	hold time.Duration
}

func (s slowPictures) Encode(time.Duration) { time.Sleep(s.hold) }

// TestRecordingStopWaitsForItsLastPictures: a room's recording stopped
// while its encoder runs behind ends its pictures with its sound. The
// sound reaches the file as it is mixed, the pictures only once encoded;
// a stop that closed the file at once left its last ~100 ms of sound
// without pictures, the file's picture ending before its sound.
func TestRecordingStopWaitsForItsLastPictures(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Mixer.Video.Width, cfg.Mixer.Video.Height = 320, 180
	const hold = 70 * time.Millisecond // over two frame intervals at 30 fps
	cfg.Observer = slowPictures{hold: hold}
	m := testManagerWith(t, cfg)
	r, path := recordingRoom(t, m, "ends")
	defer m.endJoin(r, Viewer)
	time.Sleep(time.Second)
	if _, err := r.StopRecording(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[int]uint64{} // track number → type (1 video, 2 audio)
	for _, tr := range mediatest.WebMTracks(data) {
		kinds[int(mediatest.EBMLUint(tr[0xd7]))] = mediatest.EBMLUint(tr[0x83])
	}
	last := map[uint64]int64{} // track type → its last block's time, ms
	for _, b := range mediatest.WebMBlocks(data) {
		last[kinds[b.Track]] = max(last[kinds[b.Track]], b.At)
	}
	video, audio := last[1], last[2]
	if video == 0 || audio == 0 {
		t.Fatalf("tracks %v, last blocks %v: want a video and an audio track with blocks", kinds, last)
	}
	// The picture shown at the last sound's moment is in the file: the
	// last picture starts at most a frame interval (33 ms) before the
	// last sound's frame, the stop's sound being cut where it stood.
	if video < audio-34 {
		t.Errorf("the pictures end at %d ms, the sound at %d ms: the stop did not wait for the pictures of its last sound", video, audio)
	}
}
