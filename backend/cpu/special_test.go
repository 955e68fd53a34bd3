package cpu

import (
	"fmt"
	"math"
	"testing"
)

// TestSpecialValues checks every path's vector math at the edges of float32:
// infinities give the functions' limits (not Inf*0 = NaN), NaN propagates,
// signed zeros and the largest finite values behave like the float64 reference.
func TestSpecialValues(t *testing.T) {
	in := []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 0, float32(math.Copysign(0, -1)),
		1e30, -1e30, math.MaxFloat32, -math.MaxFloat32, 100, -100, 88.7, -87.3, -103, 1e-40, -1e-40}
	// Pad to a length with a full vector and a ragged tail on every path.
	for len(in) < 37 {
		in = append(in, in[len(in)%16])
	}
	fns := []struct {
		name string
		f    func(d, s []float32)
		ref  func(d, s []float32)
	}{
		{"exp", Exp, expGeneric}, {"gelu", Gelu, geluGeneric}, {"geluTanh", GeluTanh, geluTanhGeneric},
		{"tanh", Tanh, tanhGeneric}, {"erf", Erf, erfGeneric},
	}
	forEachPath(t, func(t *testing.T) {
		for _, f := range fns {
			got, want := make([]float32, len(in)), make([]float32, len(in))
			f.f(got, in)
			f.ref(want, in)
			for i, x := range in {
				g, w := float64(got[i]), float64(want[i])
				desc := fmt.Sprintf("%s(%g) = %g, want %g", f.name, x, g, w)
				switch {
				case math.IsNaN(w) || math.IsNaN(g):
					if !(math.IsNaN(w) && math.IsNaN(g)) {
						t.Error(desc)
					}
				case math.IsInf(w, 0) || math.IsInf(g, 0):
					if g != w {
						t.Error(desc)
					}
				case math.Abs(g-w) > 1e-28+3e-7*math.Abs(w):
					t.Error(desc)
				}
			}
		}
	})
}
