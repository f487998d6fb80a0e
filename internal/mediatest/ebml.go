package mediatest

import "slices"

// WebM/Matroska element IDs of the top-level children of a Segment.
const (
	EBMLCluster = 0x1f43b675
	EBMLCues    = 0x1c53bb6b
	ebmlSegment = 0x18538067
	ebmlHeader  = 0x1a45dfa3
)

// WebMElements counts the complete top-level elements of each ID in the
// Segment of a WebM file's bytes, walking the element tree rather than
// searching for byte patterns (an ID also appears inside the SeekHead). A
// file cut short, as a killed writer leaves it, counts what is whole.
func WebMElements(data []byte) map[uint32]int {
	counts := map[uint32]int{}
	for _, e := range ebmlChildren(data, true) {
		if e.id != ebmlHeader {
			counts[e.id]++
		}
	}
	return counts
}

// ebmlID reads an element ID (1 to 4 bytes, marker bits kept).
func ebmlID(b []byte) (uint32, int) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0
	}
	n := 1
	for mask := byte(0x80); b[0]&mask == 0; mask >>= 1 {
		n++
	}
	if n > 4 || len(b) < n {
		return 0, 0
	}
	var id uint32
	for _, c := range b[:n] {
		id = id<<8 | uint32(c)
	}
	return id, n
}

// ebmlSize reads an element size (1 to 8 bytes); all ones means unknown.
func ebmlSize(b []byte) (uint64, int, bool) {
	if len(b) == 0 || b[0] == 0 {
		return 0, 0, false
	}
	n := 1
	mask := byte(0x80)
	for ; b[0]&mask == 0; mask >>= 1 {
		n++
	}
	if len(b) < n {
		return 0, 0, false
	}
	v := uint64(b[0] & (mask - 1))
	allOnes := v == uint64(mask-1)
	for _, c := range b[1:n] {
		v = v<<8 | uint64(c)
		allOnes = allOnes && c == 0xff
	}
	return v, n, allOnes
}

// WebMTracks returns the children of each TrackEntry in a WebM file's
// Tracks element, by ID, each the element's body: what a player reads
// about each track (CodecID 0x86, CodecPrivate 0x63a2, CodecDelay 0x56aa,
// SeekPreRoll 0x56bb, ...). Nil if the file has no whole Tracks element.
func WebMTracks(data []byte) []map[uint32][]byte {
	var tracks []map[uint32][]byte
	for _, e := range ebmlChildren(data, true) {
		if e.id != ebmlTracks {
			continue
		}
		for _, entry := range ebmlChildren(e.body, false) {
			if entry.id != ebmlTrackEntry {
				continue
			}
			tracks = append(tracks, EBMLFields(entry.body))
		}
	}
	return tracks
}

// EBMLFields maps the IDs of a master element's children (its body) to
// their bodies, the last of each ID.
func EBMLFields(body []byte) map[uint32][]byte {
	fields := map[uint32][]byte{}
	for _, f := range ebmlChildren(body, false) {
		fields[f.id] = f.body
	}
	return fields
}

// EBMLUint reads an unsigned integer element's body (big-endian, 0 to 8
// bytes).
func EBMLUint(body []byte) uint64 {
	var v uint64
	for _, c := range body {
		v = v<<8 | uint64(c)
	}
	return v
}

const (
	ebmlTracks     = 0x1654ae6b
	ebmlTrackEntry = 0xae
)

// segmentChildren are the IDs of the top-level elements of a Segment.
var segmentChildren = []uint32{0x114d9b74, 0x1549a966, ebmlTracks, EBMLCluster, EBMLCues, 0x1043a770, 0x1254c367, 0x1941a469}

// unknownSize measures the body of an element of unknown size that starts
// b: its children, each of known size, up to the next top-level element
// of a Segment or the end of b. unknown stays true when a child does not
// parse or is cut short.
func unknownSize(b []byte) (size uint64, unknown bool) {
	pos := 0
	for pos < len(b) {
		id, n := ebmlID(b[pos:])
		if n > 0 && slices.Contains(segmentChildren, id) {
			break
		}
		s, m, childUnknown := ebmlSize(b[pos+n:])
		if n == 0 || m == 0 || childUnknown || s > uint64(len(b)-pos-n-m) {
			return 0, true
		}
		pos += n + m + int(s)
	}
	return uint64(pos), false
}

type ebmlElement struct {
	id   uint32
	body []byte
}

// ebmlChildren lists the whole elements in b, one level deep; inSegment
// descends into a Segment first, as a file's bytes hold the EBML header and
// the Segment around everything else.
func ebmlChildren(b []byte, inSegment bool) []ebmlElement {
	var out []ebmlElement
	pos := 0
	for pos < len(b) {
		id, n := ebmlID(b[pos:])
		if n == 0 {
			break
		}
		size, m, unknown := ebmlSize(b[pos+n:])
		if m == 0 {
			break
		}
		body := pos + n + m
		if inSegment && id == ebmlSegment {
			pos = body
			continue
		}
		if unknown && inSegment {
			// A streaming writer's element of unknown size (a Cluster)
			// runs up to the next top-level element, or the end.
			if size, unknown = unknownSize(b[body:]); unknown {
				break
			}
		}
		if unknown || size > uint64(len(b)-body) {
			break
		}
		out = append(out, ebmlElement{id: id, body: b[body : body+int(size)]})
		pos = body + int(size)
	}
	return out
}

// WebMBlock is one block of a WebM file's clusters, in file order.
type WebMBlock struct {
	Cluster  int    // index of its cluster in the file
	Timecode int64  // the cluster's timecode (ms, the writers' scale)
	Track    int    // track number
	At       int64  // the cluster's timecode plus the block's own (ms)
	Key      bool   // a SimpleBlock's keyframe flag (false for a Block)
	Data     []byte // the frame
}

const (
	ebmlTimecode    = 0xe7
	ebmlSimpleBlock = 0xa3
	ebmlBlockGroup  = 0xa0
	ebmlBlock       = 0xa1
)

// WebMBlocks lists the blocks (SimpleBlocks, and the Blocks of
// BlockGroups) of the whole clusters of a WebM file's bytes, in file
// order. A block too short for its header ends its cluster's list.
func WebMBlocks(data []byte) []WebMBlock {
	var out []WebMBlock
	cluster := -1
	for _, c := range ebmlChildren(data, true) {
		if c.id != EBMLCluster {
			continue
		}
		cluster++
		var timecode int64
		for _, e := range ebmlChildren(c.body, false) {
			body, key := e.body, false
			switch e.id {
			case ebmlTimecode:
				timecode = int64(EBMLUint(e.body))
				continue
			case ebmlSimpleBlock:
			case ebmlBlockGroup:
				body = nil
				for _, g := range ebmlChildren(e.body, false) {
					if g.id == ebmlBlock {
						body = g.body
					}
				}
			default:
				continue
			}
			track, n, _ := ebmlSize(body)
			if n == 0 || len(body) < n+3 {
				break
			}
			if e.id == ebmlSimpleBlock {
				key = body[n+2]&0x80 != 0
			}
			rel := int64(int16(uint16(body[n])<<8 | uint16(body[n+1])))
			out = append(out, WebMBlock{Cluster: cluster, Timecode: timecode, Track: int(track), At: timecode + rel, Key: key, Data: body[n+3:]})
		}
	}
	return out
}
