//go:build cgo

package recorder

// A room's folder under -record-dir that is a symbolic link (another user
// of a shared -record-dir made it) is not followed, and recordings are not
// readable by every user of the machine.

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestSecurityRoomFolderSymlinkNotFollowed: a room folder that is a link
// to a folder elsewhere gets no recording there.
func TestSecurityRoomFolderSymlinkNotFollowed(t *testing.T) {
	dir, elsewhere := t.TempDir(), t.TempDir()
	if err := os.Symlink(elsewhere, filepath.Join(dir, "room")); err != nil {
		t.Fatal(err)
	}
	r, err := Start(dir, "room", time.Now(), WebMConfig{Width: 320, Height: 180, FPS: 30}, slog.New(slog.DiscardHandler))
	entries, _ := os.ReadDir(elsewhere) // before the stop, which removes a recording of no frame
	if err == nil {
		r.Stop()
	}
	if len(entries) > 0 || err == nil {
		t.Errorf("a room folder linked elsewhere: Start error %v, %d files made in the folder linked to (%v); want a refusal and none", err, len(entries), names(entries))
	}
}

// TestSecurityRecordingNotWorldReadable: a recording and its room folder
// are not open to every user of the machine.
func TestSecurityRecordingNotWorldReadable(t *testing.T) {
	dir := t.TempDir()
	r, err := Start(dir, "room", time.Now(), WebMConfig{Width: 320, Height: 180, FPS: 30}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop()
	fi, err := os.Stat(r.Path())
	if err != nil {
		t.Fatal(err)
	}
	di, err := os.Stat(filepath.Dir(r.Path()))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o007 != 0 || di.Mode().Perm()&0o007 != 0 {
		t.Errorf("recording %v, its folder %v: others may read them", fi.Mode().Perm(), di.Mode().Perm())
	}
}

func names(es []os.DirEntry) []string {
	var n []string
	for _, e := range es {
		n = append(n, e.Name())
	}
	return n
}
