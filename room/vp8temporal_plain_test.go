package room

import "testing"

// TestVP8TemporalLayerOfAPlainOrShortPayload: a descriptor without the X
// bit tells no layer, whatever the bytes after it hold: they are the
// frame's (a sender without layers, one that writes no picture ID, sends
// its frame from the second byte on, and an interframe's first byte may
// have the bits that would say a TL0PICIDX and a layer), and reading a
// layer from them would skip that sender's frames and ask for keyframes.
// A payload whose X bit says an extension byte follows but that ends
// there (a broken or hostile sender's one-byte packet) tells no layer,
// and is read without going past its end.
func TestVP8TemporalLayerOfAPlainOrShortPayload(t *testing.T) {
	for _, c := range []struct {
		name string
		p    []byte
	}{
		{"no extension, an interframe after it", []byte{0x10, 0xf1, 0x12, 0x34, 0x56, 0x78, 0x9a}},
		{"no extension, bytes that would read as one", []byte{0x10, 0xe0, 0x81, 0x02, 7, 0x60, 0x9d}},
		{"the extension byte missing", []byte{0x90}},
		{"the extension byte missing, no S", []byte{0x80}},
	} {
		if got := vp8TemporalLayer(c.p); got != (temporalLayer{}) {
			t.Errorf("%s: %+v, want no layer", c.name, got)
		}
	}
}
