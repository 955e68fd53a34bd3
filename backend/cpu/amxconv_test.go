package cpu

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAMXConvert checks the conversion of float32 panels into AMX VNNI tiles
// (the AVX-512 packer on amd64, the Go loop elsewhere) against its
// definition, element by element, on ragged K and N, odd K, special values,
// and chunks starting anywhere.
func TestAMXConvert(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, s := range [][2]int{{768, 768}, {3072, 96}, {33, 17}, {100, 48}, {7, 40}, {520, 70}, {1, 1}} {
		k, n := s[0], s[1]
		w := randSlice(r, k*n, -2, 2)
		w[0] = float32(math.Inf(-1))
		if len(w) > 3 {
			w[1], w[2], w[3] = float32(math.NaN()), 1e-39, -3.0000002
		}
		pb := PackB(nil, true, k, n, w, k)
		ks, nb := (k+31)/32, (n+31)/32
		var parts [3]uint16
		for _, terms := range []int{2, 3} {
			for jb := 0; jb < nb; jb++ {
				for s0 := 0; s0 < ks; s0 += 3 {
					ns := min(3, ks-s0)
					got := make([]uint16, ns*terms*1024)
					for i := range got {
						got[i] = 0xdead
					}
					pb.amxConvert(terms, jb, s0, ns, got)
					for st := 0; st < ns; st++ {
						for kk := 0; kk < 32; kk++ {
							for j := 0; j < 32; j++ {
								p, col := (s0+st)*32+kk, jb*32+j
								var x float32
								if p < k && col < n {
									x = w[col*k+p]
								}
								splitBF16Terms(x, parts[:terms])
								for e := range terms {
									off := st*terms*1024 + e*1024 + (j/16)*512 + (kk/2)*32 + (j%16)*2 + kk%2
									if got[off] != parts[e] {
										t.Fatalf("k=%d n=%d terms=%d jb=%d step %d: B[%d][%d] term %d = %#x want %#x", k, n, terms, jb, s0+st, p, col, e, got[off], parts[e])
									}
								}
							}
						}
					}
				}
			}
		}
	}
}
