package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestI8Slices checks the scalar split used for the weights: slices within
// [-127, 127] whose sum is within 1/(2*254^2) of x.
func TestI8Slices(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	for i := 0; i < 100000; i++ {
		x := (r.Float64()*2 - 1) * 127
		if i < 4 {
			x = []float64{127, -127, 0, 126.5}[i]
		}
		var s [3]int8
		i8Slices(x, &s)
		got := float64(s[0]) + float64(s[1])/254 + float64(s[2])/(254*254)
		if d := math.Abs(got - x); d > 0.5/(254*254)*(1+1e-9) {
			t.Fatalf("slices(%g) = %v: sum %g, error %g", x, s, got, d)
		}
	}
}

// TestSplitI8 checks the AVX-512 split of rows of A against float64: each
// value within 2^-23 of its row's largest (2^-24 for the slices, 2^-24 for
// the float32 scaling), slices in range, written only where they belong.
func TestSplitI8(t *testing.T) {
	if !amxI8Available() {
		t.Skip("no AMX-INT8")
	}
	r := rand.New(rand.NewPCG(63, 64))
	for _, steps := range []int{1, 3, 12} {
		x := randSlice(r, steps*64, -3, 3)
		x[5] = 3.5
		mx := math.Float32frombits(absMaxBits(x))
		if mx != 3.5 {
			t.Fatalf("absMaxBits = %g, want 3.5", mx)
		}
		sa := 2 * mx / 127 // alpha = -2, as splitRows scales it
		f := -2 / sa
		dst := make([]int8, steps*3072+64)
		for i := range dst {
			dst[i] = 99
		}
		splitI8(dst, x, steps, f)
		for i, v := range dst {
			s, e, j := i/3072, i%3072/1024, i%1024
			if s >= steps || j >= 64 {
				if v != 99 {
					t.Fatalf("steps=%d: wrote [%d]", steps, i)
				}
				continue
			}
			if v < -127 || v > 127 {
				t.Fatalf("steps=%d: slice %d of x[%d] = %d", steps, e, s*64+j, v)
			}
		}
		for k, v := range x {
			s, j := k/64, k%64
			got := (float64(dst[s*3072+j]) + float64(dst[s*3072+1024+j])/254 + float64(dst[s*3072+2048+j])/(254*254)) * float64(sa)
			want := -2 * float64(v)
			if d := math.Abs(got - want); d > 2*float64(2*mx)*math.Pow(2, -24) { // the slices' 2^-24, and x*f's rounding
				t.Fatalf("steps=%d x[%d]=%g: slices give %g, want %g (error %g)", steps, k, v, got, want, d)
			}
		}
	}
	// absMaxBits: tails, signs, Inf and NaN.
	for n := 0; n < 70; n++ {
		x := randSlice(r, n, -1, 1)
		want := float32(0)
		for _, v := range x {
			want = max(want, abs32(v))
		}
		if got := math.Float32frombits(absMaxBits(x)); got != want {
			t.Fatalf("n=%d: absMaxBits = %g, want %g", n, got, want)
		}
		if n > 0 {
			x[n-1] = -5
			if got := math.Float32frombits(absMaxBits(x)); got != 5 {
				t.Fatalf("n=%d: absMaxBits = %g with -5 last, want 5", n, got)
			}
			x[n/2] = float32(math.Inf(-1))
			if absMaxBits(x) < 0x7f800000 {
				t.Fatalf("n=%d: -Inf not seen", n)
			}
			x[n/3] = float32(math.NaN())
			if absMaxBits(x) <= 0x7f800000 {
				t.Fatalf("n=%d: NaN not seen", n)
			}
		}
	}
}

// TestConvI8 checks the int32-to-float32 step against float64 on random
// slice sums, writing and adding, for whole and partial blocks.
func TestConvI8(t *testing.T) {
	if !amxI8Available() {
		t.Skip("no AMX-INT8")
	}
	r := rand.New(rand.NewPCG(65, 66))
	part := make([]int32, 1536)
	for i := range part {
		part[i] = int32(r.IntN(1<<26) - 1<<25)
	}
	sa, sb := randSlice(r, 16, 0, 1), randSlice(r, 32, 0, 1)
	for _, rows := range []int{16, 5} {
		for _, add := range []bool{false, true} {
			ldc := 40
			c := make([]float32, 16*ldc)
			for i := range c {
				c[i] = float32(i % 7)
			}
			convI8(c, ldc, part, sa, sb, rows, add)
			for i := 0; i < 16; i++ {
				for j := 0; j < ldc; j++ {
					got, old := float64(c[i*ldc+j]), float64((i*ldc+j)%7)
					if i >= rows || j >= 32 {
						if got != old {
							t.Fatalf("rows=%d: wrote [%d,%d]", rows, i, j)
						}
						continue
					}
					h, jj := j/16, j%16
					g := func(e int) float64 { return float64(part[(3*h+e)*256+i*16+jj]) }
					want := (g(0) + g(1)/254 + g(2)/(254*254)) * float64(sa[i]) * float64(sb[j])
					if add {
						want += old
					}
					if d := math.Abs(got - want); d > 1e-6*math.Abs(want)+1e-6 {
						t.Fatalf("rows=%d add=%v [%d,%d]: got %g want %g", rows, add, i, j, got, want)
					}
				}
			}
		}
	}
}
