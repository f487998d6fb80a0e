//go:build cgo

package recorder

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestFinishFileThroughALink: mcu finish given a link to a killed
// recording (a "latest.webm" beside it, or in another folder) finishes the
// recording the link names, and the link stays a link; it is not taken
// for a file being written and left unfinished.
func TestFinishFileThroughALink(t *testing.T) {
	for _, where := range []string{"beside", "beside, relative", "elsewhere"} {
		t.Run(where, func(t *testing.T) {
			dir := t.TempDir()
			target := filepath.Join(dir, "r-20260101T000001Z.webm")
			killedRecording(t, target)
			linkDir := dir
			if where == "elsewhere" {
				linkDir = t.TempDir()
			}
			link := filepath.Join(linkDir, "latest.webm")
			to := target
			if where == "beside, relative" {
				to = filepath.Base(target)
			}
			if err := os.Symlink(to, link); err != nil {
				t.Fatal(err)
			}
			ok, err := FinishFile(context.Background(), link)
			if err != nil || !ok {
				t.Fatalf("FinishFile through a link: %v, %v; want it finished", ok, err)
			}
			if un, err := Unfinished(target); err != nil || un {
				t.Errorf("the recording the link names: unfinished %v, %v; want finished", un, err)
			}
			if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
				t.Errorf("the link is no longer a link: %v, %v", fi, err)
			}
		})
	}
}
