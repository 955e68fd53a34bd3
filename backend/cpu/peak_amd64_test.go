//go:build amd64

package cpu

import "testing"

// BenchmarkPeakFMA measures one core's FP32 FMA peak: 12 independent ymm
// accumulators of VFMADD231PS (8 lanes x 2 FLOP each).
func BenchmarkPeakFMA(b *testing.B) {
	const iters = 1 << 20
	for b.Loop() {
		peakFMA(iters)
	}
	b.ReportMetric(float64(iters)*12*16*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
