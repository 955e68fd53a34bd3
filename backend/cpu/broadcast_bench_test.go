package cpu_test

import (
	"testing"

	"github.com/llmc/llmc/backend/cpu"
)

// Benchmarks of the broadcasting, reduction and layout kernels on
// transformer-sized shapes; SetBytes counts the bytes read and written, so
// the MB/s column is the kernel's memory traffic.

func benchPools(b *testing.B, fn func(b *testing.B, p *cpu.Pool)) {
	for _, th := range []int{1, 2} {
		b.Run(map[int]string{1: "t1", 2: "t2"}[th], func(b *testing.B) {
			var p *cpu.Pool
			if th > 1 {
				p = cpu.NewPool(th)
				defer p.Close()
			}
			fn(b, p)
		})
	}
}

func BenchmarkBroadcastBinary(b *testing.B) {
	cases := []struct {
		name        string
		out, as, bs []int
	}{
		{"bias_8x128x768+768", []int{8, 128, 768}, []int{8, 128, 768}, []int{768}},
		{"rowscale_8x128x768*8x128x1", []int{8, 128, 768}, []int{8, 128, 768}, []int{8, 128, 1}},
		{"mask_8x12x128x128+8x1x1x128", []int{8, 12, 128, 128}, []int{8, 12, 128, 128}, []int{8, 1, 1, 128}},
		{"same_8x128x768", []int{8, 128, 768}, []int{8, 128, 768}, []int{8, 128, 768}},
		{"same_8x12x128x128", []int{8, 12, 128, 128}, []int{8, 12, 128, 128}, []int{8, 12, 128, 128}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			benchPools(b, func(b *testing.B, p *cpu.Pool) {
				a, x, dst := make([]float32, prod(c.as)), make([]float32, prod(c.bs)), make([]float32, prod(c.out))
				b.SetBytes(int64(4 * (len(a) + len(x) + len(dst))))
				for b.Loop() {
					cpu.BroadcastBinary(p, cpu.OpAdd, dst, c.out, a, c.as, x, c.bs)
				}
			})
		})
	}
}

func BenchmarkReduce(b *testing.B) {
	cases := []struct {
		name        string
		shape, axes []int
	}{
		{"axis0_1024x768", []int{1024, 768}, []int{0}},
		{"last_1024x768", []int{1024, 768}, []int{1}},
		{"middle_8x128x768", []int{8, 128, 768}, []int{1}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			benchPools(b, func(b *testing.B, p *cpu.Pool) {
				x, dst := make([]float32, prod(c.shape)), make([]float32, prod(c.shape))
				b.SetBytes(int64(4 * len(x)))
				for b.Loop() {
					cpu.Reduce(p, cpu.ReduceSum, dst, x, c.shape, c.axes)
				}
			})
		})
	}
}

func BenchmarkTransposeAny(b *testing.B) {
	cases := []struct {
		name        string
		shape, perm []int
	}{
		{"bshd_8x128x12x64_0213", []int{8, 128, 12, 64}, []int{0, 2, 1, 3}},
		{"kT_8x128x12x64_0231", []int{8, 128, 12, 64}, []int{0, 2, 3, 1}},
		{"2d_1024x768", []int{1024, 768}, []int{1, 0}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			src, dst := make([]byte, 4*prod(c.shape)), make([]byte, 4*prod(c.shape))
			b.SetBytes(int64(2 * len(src)))
			for b.Loop() {
				cpu.Transpose(dst, src, 4, c.shape, c.perm)
			}
		})
	}
}
