package mediatest

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
	pos := 0
	for pos < len(data) {
		id, n := ebmlID(data[pos:])
		if n == 0 {
			return counts
		}
		size, m, unknown := ebmlSize(data[pos+n:])
		if m == 0 {
			return counts
		}
		body := pos + n + m
		if id == ebmlSegment {
			pos = body // descend: count the Segment's children
			continue
		}
		if unknown || size > uint64(len(data)-body) {
			return counts // cut short (or an unknown size we cannot skip)
		}
		if id != ebmlHeader {
			counts[id]++
		}
		pos = body + int(size)
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
