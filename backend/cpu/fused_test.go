package cpu

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/require"
)

// Attention against its plain-loop definition in float64: ragged sequence (7) and head size
// (5), two batches with different key masks (one fully masked row of keys gives uniform
// attention, as ONNX Runtime's finite filter value does), 1 and 2 threads, every path.
func TestAttentionMatchesDefinition(t *testing.T) {
	const batch, seq, in, heads, d = 2, 7, 9, 3, 5
	const hidden = heads * d
	rng := rand.New(rand.NewSource(8))
	rnd := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		return x
	}
	x, w, bias := rnd(batch*seq*in), rnd(in*3*hidden), rnd(3*hidden)
	mask := []int32{1, 1, 0, 1, 2, 1, -1, 0, 0, 0, 0, 0, 0, 0} // > 0 attends
	const scale, filter = 0.4, -10000
	// reference
	want := make([]float64, batch*seq*hidden)
	qkv := make([]float64, batch*seq*3*hidden)
	for r := 0; r < batch*seq; r++ {
		for j := 0; j < 3*hidden; j++ {
			s := float64(bias[j])
			for i := 0; i < in; i++ {
				s += float64(x[r*in+i]) * float64(w[i*3*hidden+j])
			}
			qkv[r*3*hidden+j] = s
		}
	}
	for b := 0; b < batch; b++ {
		for h := 0; h < heads; h++ {
			for i := 0; i < seq; i++ {
				sc := make([]float64, seq)
				mx := math.Inf(-1)
				for j := 0; j < seq; j++ {
					s := 0.0
					for e := 0; e < d; e++ {
						s += qkv[(b*seq+i)*3*hidden+h*d+e] * qkv[(b*seq+j)*3*hidden+hidden+h*d+e]
					}
					s *= scale
					if mask[b*seq+j] <= 0 {
						// in float32, as the kernels (and ONNX Runtime) add the filter:
						// near -10000 the sum keeps only ~1e-3 of the score
						s = float64(float32(s) + filter)
					}
					sc[j] = s
					mx = math.Max(mx, s)
				}
				sum := 0.0
				for j := range sc {
					sc[j] = math.Exp(sc[j] - mx)
					sum += sc[j]
				}
				for e := 0; e < d; e++ {
					o := 0.0
					for j := 0; j < seq; j++ {
						o += sc[j] / sum * qkv[(b*seq+j)*3*hidden+2*hidden+h*d+e]
					}
					want[(b*seq+i)*hidden+h*d+e] = o
				}
			}
		}
	}
	pb := PackB(nil, false, in, 3*hidden, w, 3*hidden)
	forEachPath(t, func(t *testing.T) {
		for _, threads := range []int{1, 2} {
			p := NewPool(threads)
			y := make([]float32, batch*seq*hidden)
			scratch := make([]float32, AttentionScratch(batch, seq, hidden, heads))
			Attention(p, y, x, batch, seq, in, hidden, heads, pb, &Epilogue{Bias: bias}, mask, scale, filter, scratch)
			p.Close()
			for i := range want {
				require.InDelta(t, want[i], float64(y[i]), 1e-4*(1+math.Abs(want[i])), fmt.Sprintf("threads %d element %d", threads, i))
			}
		}
	})
}

func TestKeyMaskFromIndex(t *testing.T) {
	dst := make([]int32, 3*4)
	KeyMaskFromIndex(dst, []int32{2, 9, -1}, 3, 4)
	require.Equal(t, []int32{1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0}, dst)
	KeyMaskFromIndex(dst, []int32{3, 4, 4, 1, 0, 9}, 3, 4) // ends, then starts
	require.Equal(t, []int32{0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0}, dst)
	require.Panics(t, func() { KeyMaskFromIndex(dst, []int32{1, 2}, 3, 4) })
}
