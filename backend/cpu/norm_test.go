package cpu_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/backend/cpu"
	"github.com/llmc/llmc/ir"
)

// TestLayerNormStats checks LayerNormStats' output, mean and inverse standard
// deviation against the reference interpreter's LayerNormalization (three
// outputs, with and without B) within 1e-5 (mean: 5e-6 absolute, float32
// moments of rows of up to 768), for ragged row lengths, rows
// offset from zero (the moments' shift), on every path, with and without a
// pool, every output NaN-poisoned around; and that beta == nil equals a
// zero beta bit for bit in both LayerNorm and LayerNormStats.
func TestLayerNormStats(t *testing.T) {
	pool := cpu.NewPool(3)
	defer pool.Close()
	r := rand.New(rand.NewPCG(31, 32))
	type tc struct {
		m, n                    int
		x, gamma, beta          []float32
		eps                     float32
		wantY, wantMean, wantIS []float32
	}
	var cases []tc
	for _, mn := range [][2]int{{1, 1}, {3, 7}, {5, 8}, {4, 33}, {2, 100}, {64, 768}, {7, 1}} {
		for _, withBeta := range []bool{true, false} {
			c := tc{m: mn[0], n: mn[1], eps: 1e-5}
			c.x = randF32(r, c.m*c.n, -2, 2, false)
			for i := range c.x {
				c.x[i] += float32(i/c.n%3) * 10 // rows centred away from 0
			}
			c.gamma = randF32(r, c.n, 0.5, 1.5, false)
			ins := []*ir.Tensor{ir.FromFloat32s([]int64{int64(c.m), int64(c.n)}, c.x), ir.FromFloat32s([]int64{int64(c.n)}, c.gamma)}
			if withBeta {
				c.beta = randF32(r, c.n, -1, 1, false)
				ins = append(ins, ir.FromFloat32s([]int64{int64(c.n)}, c.beta))
			}
			res := refEval(t, "LayerNormalization", 3, ins, ir.AFloat("epsilon", c.eps))
			c.wantY, c.wantMean, c.wantIS = res[0].Float32s(), res[1].Float32s(), res[2].Float32s()
			cases = append(cases, c)
		}
	}
	eachPath(t, func(t *testing.T) {
		for _, c := range cases {
			for _, p := range []*cpu.Pool{nil, pool} {
				y, cy := guardF32(c.m * c.n)
				mean, cm := guardF32(c.m)
				is, ci := guardF32(c.m)
				cpu.LayerNormStats(p, y, c.x, c.m, c.n, c.gamma, c.beta, c.eps, mean, is)
				cy(t)
				cm(t)
				ci(t)
				closeF32(t, c.wantY, y, 1e-5, 1e-5, "y %dx%d", c.m, c.n)
				closeF32(t, c.wantMean, mean, 1e-6, 5e-6, "mean %dx%d", c.m, c.n)
				closeF32(t, c.wantIS, is, 1e-5, 0, "invStd %dx%d", c.m, c.n)
				// Without statistics: LayerNorm's path, same tolerance.
				y2, cy2 := guardF32(c.m * c.n)
				cpu.LayerNormStats(p, y2, c.x, c.m, c.n, c.gamma, c.beta, c.eps, nil, nil)
				cy2(t)
				closeF32(t, c.wantY, y2, 1e-5, 1e-5, "y (no stats) %dx%d", c.m, c.n)
				if c.beta == nil {
					// nil beta is a zero beta, bit for bit.
					zero := make([]float32, c.n)
					y3 := make([]float32, c.m*c.n)
					cpu.LayerNorm(p, y3, c.x, c.m, c.n, c.gamma, zero, c.eps)
					sameF32(t, y3, y2, "LayerNorm nil beta %dx%d", c.m, c.n)
					cpu.LayerNormStats(p, y3, c.x, c.m, c.n, c.gamma, zero, c.eps, mean, nil)
					sameF32(t, y3, y, "LayerNormStats nil beta %dx%d", c.m, c.n)
				}
			}
		}
	})
	// n == 0: the statistics are NaN, as in the reference interpreter.
	mean, is := []float32{1, 2}, []float32{3, 4}
	cpu.LayerNormStats(nil, nil, nil, 2, 0, nil, nil, 1e-5, mean, is)
	for i := range mean {
		require.True(t, mean[i] != mean[i] && is[i] != is[i])
	}
}

// TestSoftmaxAxis checks SoftmaxAxis (softmax and log-softmax, inner 1 and
// more) and LogSoftmax against the reference interpreter's Softmax and
// LogSoftmax (opset 18, along axis 1 of [outer, n, inner]) within 2e-6
// relative plus 1e-6 absolute, with -Inf entries (masks) in the data, on
// every path, with and without a pool, NaN-poisoned; that inner == 1 gives
// exactly Softmax; and that all -Inf lines give 0 (log: -Inf).
func TestSoftmaxAxis(t *testing.T) {
	pool := cpu.NewPool(3)
	defer pool.Close()
	r := rand.New(rand.NewPCG(33, 34))
	type tc struct {
		outer, n, inner int
		x, want, wantL  []float32
	}
	var cases []tc
	shapes := [][3]int{{1, 1, 1}, {2, 5, 1}, {3, 17, 1}, {2, 8, 3}, {3, 5, 7}, {1, 3, 300}, {4, 33, 17}, {8, 128, 40}, {16, 130, 1}}
	for _, s := range shapes {
		c := tc{outer: s[0], n: s[1], inner: s[2]}
		c.x = randF32(r, s[0]*s[1]*s[2], -8, 8, false)
		for i := range c.x {
			if r.IntN(10) == 0 && i%(s[1]*s[2]) >= s[2] { // never a whole line
				c.x[i] = float32(math.Inf(-1))
			}
		}
		ins := []*ir.Tensor{ir.FromFloat32s(i64s(s[:]), c.x)}
		c.want = refEval(t, "Softmax", 1, ins, ir.AInt("axis", 1))[0].Float32s()
		c.wantL = refEval(t, "LogSoftmax", 1, ins, ir.AInt("axis", 1))[0].Float32s()
		cases = append(cases, c)
	}
	eachPath(t, func(t *testing.T) {
		for _, c := range cases {
			size := c.outer * c.n * c.inner
			for _, p := range []*cpu.Pool{nil, pool} {
				for _, log := range []bool{false, true} {
					want := c.want
					if log {
						want = c.wantL
					}
					dst, check := guardF32(size)
					cpu.SoftmaxAxis(p, dst, c.x, c.outer, c.n, c.inner, log)
					check(t)
					closeF32(t, want, dst, 2e-6, 1e-6, "log=%v %d,%d,%d", log, c.outer, c.n, c.inner)
					// In place.
					in := append([]float32{}, c.x...)
					cpu.SoftmaxAxis(p, in, in, c.outer, c.n, c.inner, log)
					sameF32(t, dst, in, "in place log=%v %d,%d,%d", log, c.outer, c.n, c.inner)
				}
				if c.inner == 1 {
					dst, check := guardF32(size)
					cpu.LogSoftmax(p, dst, c.x, c.outer, c.n)
					check(t)
					closeF32(t, c.wantL, dst, 2e-6, 1e-6, "LogSoftmax %d,%d", c.outer, c.n)
					sm := make([]float32, size)
					cpu.Softmax(p, sm, c.x, c.outer, c.n, nil)
					ax := make([]float32, size)
					cpu.SoftmaxAxis(p, ax, c.x, c.outer, c.n, 1, false)
					sameF32(t, sm, ax, "inner 1 is Softmax")
				}
			}
		}
		// All -Inf lines: line (o=0, c=1) of [2, 3, 2] and the row of LogSoftmax.
		ninf := float32(math.Inf(-1))
		x := []float32{1, ninf, 2, ninf, 3, ninf, 1, 2, 3, 4, 5, 6}
		for _, log := range []bool{false, true} {
			dst := make([]float32, len(x))
			cpu.SoftmaxAxis(nil, dst, x, 2, 3, 2, log)
			for j := 0; j < 3; j++ {
				v := dst[j*2+1]
				if log {
					require.True(t, math.IsInf(float64(v), -1), "log all -Inf: %v", v)
				} else {
					require.Equal(t, float32(0), v)
				}
			}
			require.False(t, math.IsNaN(float64(dst[0])))
		}
		for _, s := range [][3]int{{0, 3, 2}, {2, 0, 3}, {2, 3, 0}, {0, 3, 1}, {3, 0, 1}} {
			for _, log := range []bool{false, true} {
				cpu.SoftmaxAxis(nil, nil, nil, s[0], s[1], s[2], log) // nothing to do
			}
		}
		dst := make([]float32, 3)
		cpu.LogSoftmax(nil, dst, []float32{ninf, ninf, ninf}, 1, 3)
		require.Equal(t, []float32{ninf, ninf, ninf}, dst)
	})
}

// TestNormAllocs checks LayerNormStats, LogSoftmax and SoftmaxAxis allocate
// nothing once warm.
func TestNormAllocs(t *testing.T) {
	pool := cpu.NewPool(2)
	defer pool.Close()
	m, n := 64, 768
	x, y := make([]float32, m*n), make([]float32, m*n)
	g, mean, is := make([]float32, n), make([]float32, m), make([]float32, m)
	for _, p := range []*cpu.Pool{nil, pool} {
		a := testing.AllocsPerRun(10, func() {
			cpu.LayerNormStats(p, y, x, m, n, g, nil, 1e-5, mean, is)
			cpu.LayerNorm(p, y, x, m, n, g, nil, 1e-5)
			cpu.LogSoftmax(p, y, x, m, n)
			cpu.SoftmaxAxis(p, y, x, 4, 16, m*n/64, false)
			cpu.SoftmaxAxis(p, y, x, 4, 16, m*n/64, true)
		})
		require.Zero(t, a)
	}
}
