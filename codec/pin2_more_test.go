package codec

import (
	"testing"
	"time"
)

// A sender cycling PPS ids keeps at most maxPPS of them; a PPS longer
// than maxParamSet is not kept.
func TestParamSetsBounded(t *testing.T) {
	var p H264ParamSets
	for id := range 100 {
		w := bitWriter{}
		w.put(0x68, 8)
		w.ue(uint(id))
		w.ue(0)
		w.put(1, 1)
		p.Complete(append([]byte{0, 0, 0, 1}, w.b...))
	}
	if len(p.pps) != maxPPS {
		t.Errorf("%d PPS kept after 100 ids, want %d", len(p.pps), maxPPS)
	}
	var q H264ParamSets
	long := append([]byte{0x68, 0xce}, make([]byte, maxParamSet)...)
	for i := 2; i < len(long); i++ {
		long[i] = 0x55
	}
	q.Complete(append([]byte{0, 0, 0, 1}, long...))
	if len(q.pps) != 0 {
		t.Errorf("a PPS of %d bytes kept", len(long))
	}
}

// An SPS of pic_order_cnt_type 1 whose cycle claims 2^31 frames is read
// at once, not looped over.
func TestSPSHugePOCCycle(t *testing.T) {
	w := bitWriter{}
	w.put(0x67, 8)
	w.put(66, 8) // baseline
	w.put(0, 8)
	w.put(30, 8)
	w.ue(0)       // sps id
	w.ue(0)       // log2_max_frame_num_minus4
	w.ue(1)       // poc type 1
	w.put(0, 1)   // delta_pic_order_always_zero
	w.ue(0)       // offset_for_non_ref_pic
	w.ue(0)       // offset_for_top_to_bottom
	w.ue(1 << 31) // num_ref_frames_in_pic_order_cnt_cycle
	w.put(1, 1)
	done := make(chan H264SPS, 1)
	go func() {
		s, _ := ParseH264SPS(w.b)
		done <- s
	}()
	select {
	case s := <-done:
		if s.RefFrames != 0 || s.MBs != 0 {
			t.Errorf("refs %d, MBs %d from a cut-short SPS", s.RefFrames, s.MBs)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("ParseH264SPS loops over a claimed 2^31-frame POC cycle")
	}
}

// An emulation prevention byte resets the count of zeros: in 00 00 03 00
// 03 the second 03 is data.
func TestBitReaderEmulation(t *testing.T) {
	r := bitReader{b: []byte{0, 0, 3, 0, 3, 0xff}, rbsp: true}
	var got []uint32
	for range 4 {
		got = append(got, r.bits(8))
	}
	if got[0] != 0 || got[1] != 0 || got[2] != 0 || got[3] != 3 {
		t.Errorf("read % x, want 00 00 00 03", got)
	}
}

// seq_tier is there only for seq_level_idx above 7.
func TestAV1SeqTier(t *testing.T) {
	for _, level := range []uint64{7, 8} {
		w := bitWriter{}
		w.put(0, 3)  // profile
		w.put(0, 1)  // still
		w.put(0, 1)  // reduced
		w.put(0, 1)  // timing info
		w.put(0, 1)  // initial display delay
		w.put(0, 5)  // one operating point
		w.put(0, 12) // idc
		w.put(level, 5)
		if level > 7 {
			w.put(1, 1) // tier
		}
		w.put(10, 4)
		w.put(10, 4)
		w.put(639, 11)
		w.put(359, 11)
		w.put(0, 8)
		obu := append([]byte{0x0a, byte(len(w.b))}, w.b...)
		if wd, h, ok := AV1SequenceSize(obu); !ok || wd != 640 || h != 360 {
			t.Errorf("seq_level_idx %d: %dx%d %v, want 640x360", level, wd, h, ok)
		}
	}
}
