//go:build amd64

package cpu

import (
	"math/rand/v2"
	"testing"

	"github.com/klauspost/cpuid/v2"
	"github.com/stretchr/testify/require"
)

// The AVX-512 VNNI int8 kernel against the generic one on full-range inputs (where the AVX2
// kernel would saturate), including 255 x -128 over a long K.
func TestI8KernelVNNI(t *testing.T) {
	if !cpuid.CPU.Supports(cpuid.AVX512VNNI) || tables[PathAVX512] == nil {
		t.Skip("no AVX512-VNNI")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, k4 := range []int{0, 1, 7, 300} {
		a, b := make([]uint8, max(k4, 1)*16), make([]int8, max(k4, 1)*64)
		for i := range a {
			a[i] = uint8(r.IntN(256))
		}
		for i := range b {
			b[i] = int8(r.IntN(256) - 128)
		}
		if k4 == 300 {
			for i := range a {
				a[i], b[i%len(b)] = 255, -128
			}
		}
		want, got := make([]int32, 4*20), make([]int32, 4*20)
		i8KernelGeneric(k4, a, b, want, 20)
		i8Kernel4x16VNNI(k4, &a[0], &b[0], &got[0], 20)
		require.Equal(t, want, got, "k4=%d", k4)
	}
}

// BenchmarkI8Kernel compares the int8 micro-kernels in GOPS (2 ops per multiply-add).
func BenchmarkI8Kernel(b *testing.B) {
	const k4 = 256
	a, w, c := make([]uint8, k4*16), make([]int8, k4*64), make([]int32, 4*16)
	for name, f := range map[string]func(){
		"avx2": func() { i8Kernel4x16(k4, &a[0], &w[0], &c[0], 16) },
		"vnni": func() { i8Kernel4x16VNNI(k4, &a[0], &w[0], &c[0], 16) },
	} {
		if name == "vnni" && !cpuid.CPU.Supports(cpuid.AVX512VNNI) {
			continue
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				f()
			}
			b.ReportMetric(2*float64(k4*4*4*16)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GOPS")
		})
	}
}
