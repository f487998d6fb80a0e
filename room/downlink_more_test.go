package room

import (
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestDownlinkExpiresAfterReportsStop: a lossy receiver that
// reported for a while and then went silent (a frozen tab, a client that
// stopped reading) no longer holds the mix down 10 s after its last
// report, also when its reports had renewed its share after the expiry
// timer was first set, and nobody else reports.
func TestDownlinkExpiresAfterReportsStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var set []int
		got := func() []int {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(set)
		}
		d := newDownlink(300_000, 1_500_000, func(bps int) error {
			mu.Lock()
			defer mu.Unlock()
			set = append(set, bps)
			return nil
		})
		defer d.stop()
		for range 30 { // a report a second for 30 s
			d.update("lossy", 400_000)
			time.Sleep(time.Second)
		}
		time.Sleep(8 * time.Second) // 9 s after the last report
		synctest.Wait()
		if want := []int{400_000}; !slices.Equal(got(), want) {
			t.Fatalf("mixer set to %v 9 s after the last report, want %v", got(), want)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if want := []int{400_000, 1_500_000}; !slices.Equal(got(), want) {
			t.Errorf("mixer set to %v 11 s after the lossy receiver's last report, want %v (back at the ceiling)", got(), want)
		}
	})
}
