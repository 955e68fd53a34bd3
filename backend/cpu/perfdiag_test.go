package cpu

import (
	"testing"
	"time"
)

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

// TestBandwidthVsMemcpy (run with -run BandwidthVsMemcpy -v) reports best-of
// GB/s of the memory-bound kernels next to copy() of the same working set,
// interleaved so that a noisy shared machine affects both alike.
func TestBandwidthVsMemcpy(t *testing.T) {
	if testing.Short() || !testing.Verbose() {
		t.Skip("diagnostic; run with -v")
	}
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
	ks := []kern{
		{"Softmax [128,768]", m * n, 8 * float64(m*n), func() { Softmax(nil, y, x, m, n, nil) }},
		{"Softmax+mask [128,768]", m * n, 8 * float64(m*n), func() { Softmax(nil, y, x, m, n, bias) }},
		{"LayerNorm [128,768]", m * n, 8 * float64(m*n), func() { LayerNorm(nil, y, x, m, n, g, be, 1e-12) }},
		{"SkipLayerNorm [128,768]", m * n, 12 * float64(m*n), func() { SkipLayerNorm(nil, y, x, sk, bias, m, n, g, be, 1e-12) }},
		{"Add [128,768]", m * n, 12 * float64(m*n), func() { Add(y, x, sk) }},
		{"Gelu [128,3072]", 128 * 3072, 8 * 128 * 3072, func() { Gelu(bigY, big) }},
		{"GeluTanh [128,3072]", 128 * 3072, 8 * 128 * 3072, func() { GeluTanh(bigY, big) }},
	}
	for _, p := range Paths() {
		restore, _ := SetPath(p)
		for _, k := range ks {
			src, dst := randBench(k.elems), make([]float32, k.elems)
			var bc, bk time.Duration = 1 << 62, 1 << 62
			for r := 0; r < 10; r++ {
				bc = min(bc, bestOfN(5, func() { copy(dst, src) }))
				bk = min(bk, bestOfN(5, k.fn))
			}
			cp := 8 * float64(k.elems) / bc.Seconds() / 1e9
			kb := k.bytes / bk.Seconds() / 1e9
			t.Logf("%-8s %-24s %6.1f GB/s  memcpy(same size) %6.1f GB/s  (%3.0f%%)", p, k.name, kb, cp, 100*kb/cp)
		}
		restore()
	}
}
