package cpu

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

// BenchmarkAMXKernelOnly times the bare AMX kernels on 2..24 K steps of 32 (INT8x6: 1..12 of
// 64) of L1/L2-resident operands (metric effGFLOP/s counts the float32 GEMM flops, not the bf16 products).
func BenchmarkAMXKernelOnly(b *testing.B) {
	if !AMXAvailable() {
		b.Skip()
	}
	for _, terms := range []int{2, 3} {
		for _, ks := range []int{2, 4, 8, 24} {
			b.Run(fmt.Sprintf("%v/%d", Precision(terms), ks), func(b *testing.B) {
				a := make([]uint16, ks*terms*512)
				bt := make([]uint16, ks*terms*1024)
				for i := range a {
					a[i] = 0x3f80 + uint16(i%7)
				}
				for i := range bt {
					bt[i] = 0x3f00 + uint16(i%11)
				}
				c := make([]float32, 16*32)
				amxBegin()
				defer amxEnd()
				for b.Loop() {
					for i := 0; i < 100; i++ {
						amxKernel(terms, ks, a, bt, c, 32, c, 32, nil, 0)
					}
				}
				b.ReportMetric(2*float64(16*32*ks*32*100)*float64(b.N)/b.Elapsed().Seconds()/1e9, "effGFLOP/s")
			})
		}
	}
	if !amxI8Available() {
		return
	}
	for _, ks := range []int{1, 2, 4, 12} { // steps of 64
		b.Run(fmt.Sprintf("int8x6/%d", ks), func(b *testing.B) {
			a := make([]int8, ks*3072)
			bt := make([]int8, ks*6144)
			for i := range a {
				a[i] = int8(i%7 - 3)
			}
			for i := range bt {
				bt[i] = int8(i%11 - 5)
			}
			part := make([]int32, 1536)
			amxBegin()
			defer amxEnd()
			for b.Loop() {
				for i := 0; i < 100; i++ {
					amxKernelI8Call(ks, a, bt, part, part, nil, 0)
				}
			}
			b.ReportMetric(2*float64(16*32*ks*64*100)*float64(b.N)/b.Elapsed().Seconds()/1e9, "effGFLOP/s")
		})
	}
}

// BenchmarkAMXBertStream runs the GEMMs of bert-base's 12 layers at batch 1 x
// sequence 128 (QKV, attention output, FFN up and down; 340 MB of float32
// weights, so they stream from memory as in the model) at float32 and both
// AMX precisions, interleaved, and reports the best-of milliseconds of each
// and their ratio to float32, at 1 and 2 threads. Run with -benchtime 5x.
func BenchmarkAMXBertStream(b *testing.B) {
	if !AMXAvailable() {
		b.Skip("no AMX-BF16")
	}
	m, layers := 128, 12
	if v, err := strconv.Atoi(os.Getenv("LLMC_BENCH_M")); err == nil && v > 0 {
		m = v // LLMC_BENCH_M: other row counts (16: batch 1 x sequence 16)
	}
	shapes := [][2]int{{768, 2304}, {768, 768}, {768, 3072}, {3072, 768}} // k, n
	type gemm struct {
		k   int
		pbs [4]*PackedB // fp32, bf16x3, bf16x6, int8x6
	}
	var gs []gemm
	for l := 0; l < layers; l++ {
		for _, s := range shapes {
			w := randBench(s[0] * s[1])
			g := gemm{k: s[0]}
			for i := range g.pbs {
				g.pbs[i] = PackB(nil, true, s[0], s[1], w, s[0])
			}
			g.pbs[1].EnableAMX(BF16x3)
			g.pbs[2].EnableAMX(BF16x6)
			g.pbs[3].EnableAMX(INT8x6)
			gs = append(gs, g)
		}
	}
	a := randBench(m * 3072)
	c := make([]float32, m*3072)
	pool := NewPool(2)
	defer pool.Close()
	run := func(p *Pool, v int) func() {
		return func() {
			for _, g := range gs {
				SgemmPacked(p, false, m, 1, a, g.k, g.pbs[v], 0, c, g.pbs[v].N, nil)
			}
		}
	}
	names := []string{"fp32", "bf16x3", "bf16x6", "int8x6"}
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprintf("t%d", threads), func(b *testing.B) {
			var p *Pool
			if threads > 1 {
				p = pool
			}
			best := []time.Duration{1 << 62, 1 << 62, 1 << 62, 1 << 62}
			for b.Loop() {
				for v := range best {
					best[v] = min(best[v], bestOfN(1, run(p, v)))
				}
			}
			for v, d := range best {
				b.ReportMetric(float64(d.Microseconds())/1000, names[v]+"-ms")
				if v > 0 {
					b.ReportMetric(d.Seconds()/best[0].Seconds(), names[v]+"/fp32")
				}
			}
		})
	}
}
