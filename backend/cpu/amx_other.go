//go:build !amd64

package cpu

func amxAvailable() bool { return false }

func amxKernel(terms, ksteps int, a []uint16, b []uint16, cin []float32, ldcin int, cout []float32, ldcout int, pf []uint16, pfn int) {
	panic("cpu: AMX kernel on a non-amd64 build")
}

func amxBegin() { panic("cpu: AMX on a non-amd64 build") }

func amxEnd() {}

func amxPackPairs(terms int, dst []uint16, src0, src1 []float32, pairs int) bool {
	var parts [3]uint16
	special := false
	for q := 0; q < pairs; q++ {
		for h, src := range [][]float32{src0, src1} {
			for j := 0; j < 16; j++ {
				for e2 := 0; e2 < 2; e2++ {
					var x float32
					if src != nil {
						x = src[(2*q+e2)*16+j]
					}
					special = special || x-x != 0
					splitBF16Terms(x, parts[:terms])
					for e := range terms {
						dst[(2*e+h)*512+q*32+j*2+e2] = parts[e]
					}
				}
			}
		}
	}
	return special
}

func splitStepsAMX(terms int, dst []uint16, x []float32, steps, tile int, alpha float32) bool {
	var parts [3]uint16
	special := false
	for s := 0; s < steps; s++ {
		for i, v := range x[s*32 : s*32+32] {
			v = float32(v * alpha) // rounded here: no fused multiply-subtract in v-v
			special = special || v-v != 0
			splitBF16Terms(v, parts[:terms])
			for e := range terms {
				dst[s*tile+e*512+i] = parts[e]
			}
		}
	}
	return special
}

// amxFormAlloc returns n zeroed elements for q's AMX form.
func amxFormAlloc[T any](q *T, n int) []uint16 { return make([]uint16, n) }

func amxI8Available() bool { return false }

func amxKernelI8Call(ksteps int, a, b []int8, cin, cout []int32, pf []int8, pfn int) {
	panic("cpu: AMX kernel on a non-amd64 build")
}

func absMaxBits(x []float32) uint32 { panic("cpu: AMX on a non-amd64 build") }

func splitI8(dst []int8, x []float32, steps int, f float32) {
	panic("cpu: AMX on a non-amd64 build")
}

func convI8(c []float32, ldc int, part []int32, sa, sb []float32, rows int, add bool) {
	panic("cpu: AMX on a non-amd64 build")
}
