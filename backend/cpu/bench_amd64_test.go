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

// BenchmarkPeakFMA512 measures the AVX-512 FP32 peak (skipped without AVX-512F).
func BenchmarkPeakFMA512(b *testing.B) {
	if tables[PathAVX512] == nil || bestPath != PathAVX512 {
		b.Skip("no AVX-512")
	}
	const iters = 1 << 20
	for b.Loop() {
		peakFMA512(iters)
	}
	b.ReportMetric(float64(iters)*24*32*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkKernel12x32 measures the bare AVX-512 micro-kernel on L1-resident panels.
func BenchmarkKernel12x32(b *testing.B) {
	if bestPath != PathAVX512 {
		b.Skip("no AVX-512")
	}
	const k = 256
	a, bb, c := randBench(2*k*gemmMR), randBench(2*k*gemmNR), make([]float32, 4*gemmMR*gemmNR)
	for b.Loop() {
		for i := 0; i < 100; i++ {
			sgemmKernel12x32(k, &a[0], &a[k*gemmMR], &bb[0], &bb[k*gemmNR], &c[0], 2*gemmNR, 1, &bb[0])
		}
	}
	b.ReportMetric(2*float64(k*4*gemmMR*gemmNR*100)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkKernel6x16 measures the bare micro-kernel on L1-resident panels.
func BenchmarkKernel6x16(b *testing.B) {
	const k = 256
	a, bb, c := randBench(k*gemmMR), randBench(k*gemmNR), make([]float32, gemmMR*gemmNR)
	for b.Loop() {
		for i := 0; i < 100; i++ {
			sgemmKernel6x16(k, &a[0], &bb[0], &c[0], gemmNR, 1, &bb[0])
		}
	}
	b.ReportMetric(2*float64(k*gemmMR*gemmNR*100)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkKernel6x16StreamA streams A panels from an L2-sized block, like the
// macro-kernel does.
func BenchmarkKernel6x16StreamA(b *testing.B) {
	const k = 384
	const panels = 22
	a, bb, c := randBench(k*gemmMR*panels), randBench(k*gemmNR), make([]float32, gemmMR*gemmNR*panels)
	for b.Loop() {
		for i := 0; i < panels; i++ {
			sgemmKernel6x16(k, &a[i*k*gemmMR], &bb[0], &c[i*gemmMR*gemmNR], gemmNR, 1, &bb[0])
		}
	}
	b.ReportMetric(2*float64(k*gemmMR*gemmNR*panels)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
