package cpu

import (
	"fmt"
	"testing"
)

// BenchmarkAMXKernelOnly times the bare AMX kernel on 2..24 K steps of L1/L2-resident
// operands (metric effGFLOP/s counts the float32 GEMM flops, not the three bf16 products).
func BenchmarkAMXKernelOnly(b *testing.B) {
	if !AMXAvailable() {
		b.Skip()
	}
	for _, ks := range []int{2, 4, 8, 24} {
		b.Run(fmt.Sprint(ks), func(b *testing.B) {
			ah := make([]uint16, 16*ks*32)
			al := make([]uint16, 16*ks*32)
			bt := make([]uint16, ks*2048)
			for i := range ah {
				ah[i], al[i] = 0x3f80+uint16(i%7), 0x3a00+uint16(i%5)
			}
			for i := range bt {
				bt[i] = 0x3f00 + uint16(i%11)
			}
			c := make([]float32, 16*32)
			amxBegin()
			defer amxEnd()
			for b.Loop() {
				for i := 0; i < 100; i++ {
					amxKernel(ks, ah, al, bt, c, 32, true)
				}
			}
			b.ReportMetric(2*float64(16*32*ks*32*100)*float64(b.N)/b.Elapsed().Seconds()/1e9, "effGFLOP/s")
		})
	}
}
