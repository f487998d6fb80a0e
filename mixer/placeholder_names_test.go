package mixer

import (
	"bytes"
	"testing"
)

// TestPlaceholderNamesAreDistinct: two participants' placeholder labels
// never draw the same, whatever the script of their names: Go's font
// draws Latin, Greek and Cyrillic; other characters (CJK, Arabic, Hebrew,
// Devanagari, emoji) would each be the same box, so "王小明" and "李大伟"
// were the same tile. Those are left out and the participant's number
// said instead, or beside what is left.
func TestPlaceholderNamesAreDistinct(t *testing.T) {
	pairs := [][2]string{
		{"Anna", "Nina"},
		{"Анна", "Нина"},
		{"王小明", "李大伟"},
		{"さくら", "はると"},
		{"김민준", "이서연"},
		{"محمد", "أحمد"},
		{"דוד", "שרה"},
		{"प्रिया", "राहुल"},
		{"😀😀", "🎉🎉"},
		{"Ana 王", "Ana 李"},
	}
	for _, p := range pairs {
		a := label(&member{Participant: Participant{ID: "a", Name: p[0]}, slot: 0})
		b := label(&member{Participant: Participant{ID: "b", Name: p[1]}, slot: 1})
		ma, mb := textMask(a, 426, 240), textMask(b, 426, 240)
		if ma == nil || mb == nil {
			t.Errorf("%q / %q: no label drawn (%q, %q)", p[0], p[1], a, b)
			continue
		}
		if ma.Rect == mb.Rect && bytes.Equal(ma.Pix, mb.Pix) {
			t.Errorf("%q and %q are drawn as the same picture (%q, %q)", p[0], p[1], a, b)
		}
	}
	for name, want := range map[string]string{"Anna": "Anna", "王小明": "#3", "Ana 王": "Ana #3", "Zoë Ωmega": "Zoë Ωmega", "": "#3"} {
		if got := label(&member{Participant: Participant{ID: "x", Name: name}, slot: 2}); got != want {
			t.Errorf("label of %q: %q, want %q", name, got, want)
		}
	}
}

// TestPlaceholderNameComposed: a name written with a combining accent
// ("Jose" and U+0301) is drawn as the composed letter the font has, not
// cut to "Jose" and a number.
func TestPlaceholderNameComposed(t *testing.T) {
	if got := label(&member{Participant: Participant{ID: "x", Name: "Jose\u0301"}, slot: 0}); got != "José" {
		t.Errorf("label of a decomposed José: %q", got)
	}
}
