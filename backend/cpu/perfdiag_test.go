package cpu

import (
	"testing"
	"time"
)

// bestOfN returns the best wall-clock time of rounds runs of fn. (Thread CPU
// time was tried and under-counts on this VM: it reported SGEMM above the FMA
// peak.)
func bestOfN(rounds int, fn func()) time.Duration {
	best := time.Duration(1 << 62)
	for r := 0; r < rounds; r++ {
		t0 := time.Now()
		fn()
		if d := time.Since(t0); d < best {
			best = d
		}
	}
	return best
}

// BenchmarkBandwidthVsMemcpy reports best-of GB/s of the memory-bound kernels
// on bert-base activation sizes next to copy() of the same working set
// (metric %memcpy: cache-resident at these sizes, the strict yardstick) and
// of a 64 MiB buffer (metric %dram: the machine's memory bandwidth),
// interleaved so that a noisy shared machine affects all alike. Run with
// -benchtime 10x.
func BenchmarkBandwidthVsMemcpy(b *testing.B) {
	type kern struct {
		name  string
		elems int     // elements of the main operand
		bytes float64 // bytes moved per call
		fn    func()
	}
	m, n := 128, 768
	x, y, sk := randBench(m*n), make([]float32, m*n), randBench(m*n)
	g, be, bias := randBench(n), randBench(n), randBench(n)
	big, bigY := randBench(128*3072), make([]float32, 128*3072)
	att, attY := randBench(12*128*128), make([]float32, 12*128*128)
	ks := []kern{
		{"Softmax_128x768", m * n, 8 * float64(m*n), func() { Softmax(nil, y, x, m, n, nil) }},
		{"SoftmaxMask_12x128x128", 12 * 128 * 128, 8 * 12 * 128 * 128, func() { Softmax(nil, attY, att, 12*128, 128, bias[:128]) }},
		{"LayerNorm_128x768", m * n, 8 * float64(m*n), func() { LayerNorm(nil, y, x, m, n, g, be, 1e-12) }},
		{"SkipLayerNorm_128x768", m * n, 12 * float64(m*n), func() { SkipLayerNorm(nil, y, x, sk, bias, m, n, g, be, 1e-12) }},
		{"Add_128x768", m * n, 12 * float64(m*n), func() { Add(y, x, sk) }},
		{"Gelu_128x3072", 128 * 3072, 8 * 128 * 3072, func() { Gelu(bigY, big) }},
		{"GeluTanh_128x3072", 128 * 3072, 8 * 128 * 3072, func() { GeluTanh(bigY, big) }},
	}
	dramN := 16 << 20
	dramSrc, dramDst := randBench(dramN), make([]float32, dramN)
	for _, p := range Paths() {
		for _, k := range ks {
			b.Run(p+"/"+k.name, func(b *testing.B) {
				restore, _ := SetPath(p)
				defer restore()
				src, dst := randBench(k.elems), make([]float32, k.elems)
				var bc, bk, bd time.Duration = 1 << 62, 1 << 62, 1 << 62
				for b.Loop() {
					bc = min(bc, bestOfN(5, func() { copy(dst, src) }))
					bk = min(bk, bestOfN(5, k.fn))
					bd = min(bd, bestOfN(1, func() { copy(dramDst, dramSrc) }))
				}
				cp := 8 * float64(k.elems) / bc.Seconds() / 1e9
				dram := 8 * float64(dramN) / bd.Seconds() / 1e9
				kb := k.bytes / bk.Seconds() / 1e9
				b.ReportMetric(kb, "GB/s")
				b.ReportMetric(100*kb/cp, "%memcpy")
				b.ReportMetric(100*kb/dram, "%dram")
			})
		}
	}
}
