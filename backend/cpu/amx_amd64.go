//go:build amd64

package cpu

import (
	"os"
	"runtime"
	"sync"

	"github.com/klauspost/cpuid/v2"
)

//go:noescape
func amxConfigure(cfg *byte)

func amxRelease()

//go:noescape
func amxKernel16x32(ksteps int, ah, al *uint16, lda int, b *uint16, c *float32, ldc int, acc int)

var (
	amxOnce sync.Once
	amxOK   bool
)

// amxAvailable reports whether AMX-BF16 can be used: the CPU has AMX-TILE
// and AMX-BF16, LLMC_AMX is not "0", and Linux granted this process the
// tile data state (arch_prctl ARCH_REQ_XCOMP_PERM, once per process).
func amxAvailable() bool {
	amxOnce.Do(func() {
		if os.Getenv("LLMC_AMX") == "0" || !cpuid.CPU.Supports(cpuid.AMXTILE, cpuid.AMXBF16, cpuid.AVX512F, cpuid.AVX512DQ, cpuid.AVX512BW) {
			return
		}
		amxOK = requestAMXState()
	})
	return amxOK
}

// amxBegin locks the calling goroutine to its OS thread and configures the
// tiles; amxEnd releases them and unlocks. amxKernel calls go in between.
func amxBegin() {
	runtime.LockOSThread()
	amxConfigure(&amxTileConfig[0])
}

func amxEnd() {
	amxRelease()
	runtime.UnlockOSThread()
}

// amxKernel computes (acc: adds) a 16x32 tile of C from ksteps steps of 32
// along K (see amx_amd64.s): A hi/lo tile-major (one contiguous 16x32 tile
// per step), ldc in elements. Call it between amxBegin and amxEnd.
func amxKernel(ksteps int, ah, al []uint16, b []uint16, c []float32, ldc int, acc bool) {
	_ = ah[ksteps*512-1]
	_ = al[ksteps*512-1]
	_ = b[ksteps*2048-1]
	_ = c[15*ldc+31]
	a := 0
	if acc {
		a = 1
	}
	amxKernel16x32(ksteps, &ah[0], &al[0], 64, &b[0], &c[0], 4*ldc, a)
}

// splitRowBF16 sets hi[i], lo[i] = splitBF16(alpha*x[i]) for i < len(x).
func splitRowBF16(hi, lo []uint16, x []float32, alpha float32) {
	if len(x) == 0 {
		return
	}
	_, _ = hi[len(x)-1], lo[len(x)-1]
	splitBF16AVX512(&hi[0], &lo[0], &x[0], len(x), alpha)
}
