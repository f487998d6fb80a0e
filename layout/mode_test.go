package layout

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestParseMode(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    Mode
		wantErr bool
	}{
		{name: "grid", in: "grid", want: Grid},
		{name: "speaker", in: "speaker", want: Speaker},
		{name: "any case", in: "Speaker", want: Speaker},
		{name: "empty", in: "", wantErr: true},
		{name: "unknown", in: "mosaic", wantErr: true},
		{name: "padded", in: " grid", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseMode(tc.in)
			if tc.wantErr {
				if !errors.Is(err, ErrUnknownMode) {
					t.Errorf("ParseMode(%q) error = %v, want ErrUnknownMode", tc.in, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("ParseMode(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			if back, _ := ParseMode(got.String()); back != got {
				t.Errorf("ParseMode(%q.String()) = %v", got, back)
			}
		})
	}
}

func TestParseAspect(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    Aspect
		wantErr bool
	}{
		{name: "fit", in: "fit", want: Fit},
		{name: "fill", in: "fill", want: Fill},
		{name: "any case", in: "FILL", want: Fill},
		{name: "empty", in: "", wantErr: true},
		{name: "unknown", in: "stretch", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseAspect(tc.in)
			if tc.wantErr {
				if !errors.Is(err, ErrUnknownAspect) {
					t.Errorf("ParseAspect(%q) error = %v, want ErrUnknownAspect", tc.in, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("ParseAspect(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestModeAspectString(t *testing.T) {
	cases := []struct {
		name string
		v    interface{ String() string }
		want string
	}{
		{name: "grid", v: Grid, want: "grid"},
		{name: "speaker", v: Speaker, want: "speaker"},
		{name: "unknown mode", v: Mode(5), want: "Mode(5)"},
		{name: "negative mode", v: Mode(-1), want: "Mode(-1)"},
		{name: "fit", v: Fit, want: "fit"},
		{name: "fill", v: Fill, want: "fill"},
		{name: "unknown aspect", v: Aspect(2), want: "Aspect(2)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.v.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

// layoutRequest mirrors the JSON body of PUT /api/rooms/{room}/layout.
type layoutRequest struct {
	Mode   Mode   `json:"mode"`
	Aspect Aspect `json:"aspect"`
}

func TestJSON(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    layoutRequest
		wantErr error
	}{
		{name: "speaker fill", in: `{"mode":"speaker","aspect":"fill"}`, want: layoutRequest{Mode: Speaker, Aspect: Fill}},
		{name: "defaults", in: `{}`, want: layoutRequest{Mode: Grid, Aspect: Fit}},
		{name: "unknown mode", in: `{"mode":"mosaic"}`, wantErr: ErrUnknownMode},
		{name: "unknown aspect", in: `{"aspect":"zoom"}`, wantErr: ErrUnknownAspect},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got layoutRequest
			err := json.Unmarshal([]byte(tc.in), &got)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Unmarshal(%s) error = %v, want %v", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Unmarshal(%s) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
			out, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			var back layoutRequest
			if err := json.Unmarshal(out, &back); err != nil || back != got {
				t.Errorf("round trip through %s = %+v, %v", out, back, err)
			}
		})
	}
}

func TestMarshalUnknown(t *testing.T) {
	if _, err := json.Marshal(Mode(3)); !errors.Is(err, ErrUnknownMode) {
		t.Errorf("Marshal(Mode(3)) error = %v, want ErrUnknownMode", err)
	}
	if _, err := json.Marshal(Aspect(-1)); !errors.Is(err, ErrUnknownAspect) {
		t.Errorf("Marshal(Aspect(-1)) error = %v, want ErrUnknownAspect", err)
	}
}
