package loadtest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Scrape is one read of a Prometheus text exposition (format 0.0.4): every
// sample, in the order served. Comments (HELP, TYPE) are skipped: the names
// of mcu's series say what they are.
type Scrape struct {
	Samples []Sample
}

// Sample is one line of the exposition.
type Sample struct {
	Name   string
	Labels []Label // in the order written
	Value  float64
}

// Label is one name="value" pair.
type Label struct{ Name, Value string }

// Label returns the value of the label called name ("" if absent).
func (s Sample) Label(name string) string {
	for _, l := range s.Labels {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

var errSyntax = errors.New("loadtest: metrics syntax")

// ParseMetrics reads the text format. Timestamps are ignored.
func ParseMetrics(r io.Reader) (*Scrape, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	s := &Scrape{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		smp, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", errSyntax, n, err)
		}
		s.Samples = append(s.Samples, smp)
	}
	return s, sc.Err()
}

// parseSample reads `name{a="x",b="y"} value [timestamp]`.
func parseSample(line string) (Sample, error) {
	var s Sample
	i := strings.IndexAny(line, "{ \t")
	if i <= 0 {
		return s, errors.New("no value")
	}
	s.Name, line = line[:i], line[i:]
	if line[0] == '{' {
		line = line[1:]
		for {
			line = strings.TrimLeft(line, " \t,")
			if line == "" {
				return s, errors.New("unterminated labels")
			}
			if line[0] == '}' {
				line = line[1:]
				break
			}
			eq := strings.IndexByte(line, '=')
			if eq <= 0 || len(line) < eq+2 || line[eq+1] != '"' {
				return s, errors.New("bad label")
			}
			name := strings.TrimSpace(line[:eq])
			value, rest, err := unquote(line[eq+2:])
			if err != nil {
				return s, err
			}
			s.Labels = append(s.Labels, Label{name, value})
			line = rest
		}
	}
	fields := strings.Fields(line)
	if len(fields) == 0 || len(fields) > 2 {
		return s, errors.New("want a value and an optional timestamp")
	}
	v, err := parseValue(fields[0])
	if err != nil {
		return s, err
	}
	s.Value = v
	return s, nil
}

// unquote reads a label value up to its closing quote (the opening one is
// already consumed) and returns it and what follows.
func unquote(s string) (string, string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), s[i+1:], nil
		case '\\':
			if i+1 == len(s) {
				return "", "", errors.New("bad escape")
			}
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			default: // \\ and \"
				b.WriteByte(s[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", errors.New("unterminated label value")
}

func parseValue(s string) (float64, error) {
	switch s {
	case "+Inf", "Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	case "NaN":
		return math.NaN(), nil
	}
	return strconv.ParseFloat(s, 64)
}

// Value returns the value of the series called name whose labels include
// the given name, value pairs, and whether there was one.
func (s *Scrape) Value(name string, labels ...string) (float64, bool) {
	if s == nil {
		return 0, false
	}
next:
	for _, smp := range s.Samples {
		if smp.Name != name {
			continue
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if smp.Label(labels[i]) != labels[i+1] {
				continue next
			}
		}
		return smp.Value, true
	}
	return 0, false
}

// Sum adds the values of every series called name (all label sets); 0 when
// there is none.
func (s *Scrape) Sum(name string) float64 {
	if s == nil {
		return 0
	}
	var sum float64
	for _, smp := range s.Samples {
		if smp.Name == name {
			sum += smp.Value
		}
	}
	return sum
}

// Histogram is a Prometheus histogram without labels other than le:
// cumulative counts per upper bound, ascending, the last bound +Inf.
type Histogram struct {
	Bounds     []float64
	Cumulative []float64
	Sum, Count float64
}

// Histogram gathers the histogram called name (its _bucket, _sum and _count
// series). It reports false when there is no such histogram.
func (s *Scrape) Histogram(name string) (Histogram, bool) {
	var h Histogram
	if s == nil {
		return h, false
	}
	type bucket struct{ le, n float64 }
	var buckets []bucket
	for _, smp := range s.Samples {
		switch smp.Name {
		case name + "_bucket":
			le, err := parseValue(smp.Label("le"))
			if err != nil {
				continue
			}
			buckets = append(buckets, bucket{le, smp.Value})
		case name + "_sum":
			h.Sum = smp.Value
		case name + "_count":
			h.Count = smp.Value
		}
	}
	if len(buckets) == 0 {
		return h, false
	}
	slices.SortFunc(buckets, func(a, b bucket) int {
		switch {
		case a.le < b.le:
			return -1
		case a.le > b.le:
			return 1
		}
		return 0
	})
	for _, b := range buckets {
		h.Bounds = append(h.Bounds, b.le)
		h.Cumulative = append(h.Cumulative, b.n)
	}
	if !math.IsInf(h.Bounds[len(h.Bounds)-1], 1) {
		h.Bounds = append(h.Bounds, math.Inf(1))
		h.Cumulative = append(h.Cumulative, max(h.Count, h.Cumulative[len(h.Cumulative)-1]))
	}
	return h, true
}

// Sub returns h − earlier: the observations made between two scrapes. The
// bucket layouts must match; when they do not (the server restarted with
// other buckets) h is returned unchanged. A counter that went down (a
// restarted server) is taken to have started from zero.
func (h Histogram) Sub(earlier Histogram) Histogram {
	if !slices.Equal(h.Bounds, earlier.Bounds) || earlier.Count > h.Count {
		return h
	}
	d := Histogram{Bounds: h.Bounds, Cumulative: make([]float64, len(h.Cumulative)),
		Sum: h.Sum - earlier.Sum, Count: h.Count - earlier.Count}
	for i := range h.Cumulative {
		d.Cumulative[i] = h.Cumulative[i] - earlier.Cumulative[i]
	}
	return d
}

// Quantile estimates the q-quantile (0 ≤ q ≤ 1) as Prometheus's
// histogram_quantile does: find the bucket holding the rank q·count and
// interpolate linearly inside it, the first bucket starting at 0. A rank in
// the +Inf bucket gives the highest finite bound (the true value is above
// it). NaN when the histogram is empty.
func (h Histogram) Quantile(q float64) float64 {
	n := len(h.Cumulative)
	if n == 0 || h.Cumulative[n-1] <= 0 || q < 0 || q > 1 {
		return math.NaN()
	}
	rank := q * h.Cumulative[n-1]
	i, _ := slices.BinarySearchFunc(h.Cumulative, rank, func(c, r float64) int {
		if c < r {
			return -1
		}
		return 1 // the first bucket whose count reaches the rank
	})
	i = min(i, n-1)
	if math.IsInf(h.Bounds[i], 1) {
		if n < 2 {
			return math.NaN()
		}
		return h.Bounds[n-2]
	}
	lo, below := 0.0, 0.0
	if i > 0 {
		lo, below = h.Bounds[i-1], h.Cumulative[i-1]
	}
	hi, in := h.Bounds[i], h.Cumulative[i]-below
	if in <= 0 {
		return hi
	}
	return lo + (hi-lo)*(rank-below)/in
}

// MaxBucket is the upper bound of the highest bucket that holds an
// observation: the maximum is at most this (+Inf when some observation was
// above every finite bound). NaN when the histogram is empty.
func (h Histogram) MaxBucket() float64 {
	for i := len(h.Cumulative) - 1; i >= 0; i-- {
		below := 0.0
		if i > 0 {
			below = h.Cumulative[i-1]
		}
		if h.Cumulative[i] > below {
			return h.Bounds[i]
		}
	}
	return math.NaN()
}

// Mean is sum/count, NaN when empty.
func (h Histogram) Mean() float64 {
	if h.Count <= 0 {
		return math.NaN()
	}
	return h.Sum / h.Count
}
