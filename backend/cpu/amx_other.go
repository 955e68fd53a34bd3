//go:build !amd64

package cpu

func amxAvailable() bool { return false }

func amxKernel(ksteps int, ah, al []uint16, b []uint16, c []float32, ldc int, acc bool) {
	panic("cpu: AMX kernel on a non-amd64 build")
}

func splitRowBF16(hi, lo []uint16, x []float32, alpha float32) {
	for i, v := range x {
		hi[i], lo[i] = splitBF16(alpha * v)
	}
}

func amxBegin() { panic("cpu: AMX on a non-amd64 build") }

func amxEnd() {}
