package layout

import (
	"fmt"
	"testing"
)

func BenchmarkCells(b *testing.B) {
	for _, mode := range []Mode{Grid, Speaker} {
		for _, n := range []int{4, 9, 25, 100} {
			b.Run(fmt.Sprintf("%v_n%d", mode, n), func(b *testing.B) {
				for b.Loop() {
					Cells(mode, n, 0, DefaultCanvas)
				}
			})
		}
	}
}
