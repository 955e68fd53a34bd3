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
func amxKernel3(ksteps int, a *uint16, b *uint16, cin *float32, ldcin int, cout *float32, ldcout int, pf *uint16, pfn int)

//go:noescape
func amxKernel6(ksteps int, a *uint16, b *uint16, cin *float32, ldcin int, cout *float32, ldcout int, pf *uint16, pfn int)

//go:noescape
func amxOverlapProbe(iters, groups int, tiles *uint16, tdp bool)

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

// amxKernel computes a 16x32 block of C, cout (row stride ldcout elements),
// as cin (row stride ldcin; zero when cin is nil) plus ksteps steps of 32
// along K (see amx_amd64.s) with terms bfloat16 terms per float32 (2:
// BF16x3, 3: BF16x6): a holds terms A tiles per step (tile-major), b terms x 2
// B tiles per step. Each step prefetches pfn cache lines of pf (into L2), in
// order. Call it between amxBegin and amxEnd.
func amxKernel(terms, ksteps int, a []uint16, b []uint16, cin []float32, ldcin int, cout []float32, ldcout int, pf []uint16, pfn int) {
	_ = a[ksteps*terms*512-1]
	_ = b[ksteps*terms*1024-1]
	_ = cout[15*ldcout+31]
	var ci *float32
	if cin != nil {
		_ = cin[15*ldcin+31]
		ci = &cin[0]
	}
	var p *uint16
	if pfn = min(pfn, len(pf)/32/max(ksteps, 1)); pfn > 0 {
		p = &pf[0]
	} else {
		pfn = 0
	}
	if terms == 3 {
		amxKernel6(ksteps, &a[0], &b[0], ci, 4*ldcin, &cout[0], 4*ldcout, p, pfn)
		return
	}
	amxKernel3(ksteps, &a[0], &b[0], ci, 4*ldcin, &cout[0], 4*ldcout, p, pfn)
}

// amxPackPairs writes pairs K row pairs of two 16-column float32 panels
// (src1 nil: zero columns) as terms bfloat16 VNNI tiles at dst (see
// amxPackB2AVX512). It reports whether any value is Inf or NaN.
func amxPackPairs(terms int, dst []uint16, src0, src1 []float32, pairs int) bool {
	if pairs == 0 {
		return false
	}
	_ = dst[(2*terms-1)*512+pairs*32-1]
	_ = src0[pairs*32-1]
	if src1 == nil {
		src1 = amxZeroPanel[:]
	}
	_ = src1[pairs*32-1]
	if terms == 3 {
		return amxPackB3AVX512(&dst[0], &src0[0], &src1[0], pairs) != 0
	}
	return amxPackB2AVX512(&dst[0], &src0[0], &src1[0], pairs) != 0
}

// splitStepsAMX writes steps full 32-float steps of a row of A (alpha*x) as
// terms bfloat16 terms: step s's term e at dst[s*tile+e*512:][:32] (one row
// of the step's A tiles, tile-major). It reports whether any alpha*x is Inf
// or NaN.
func splitStepsAMX(terms int, dst []uint16, x []float32, steps, tile int, alpha float32) bool {
	if steps == 0 {
		return false
	}
	_ = dst[(steps-1)*tile+(terms-1)*512+31]
	_ = x[steps*32-1]
	if terms == 3 {
		return splitTiles3AVX512(&dst[0], &x[0], steps, 2*tile, alpha) != 0
	}
	return splitTiles2AVX512(&dst[0], &x[0], steps, 2*tile, alpha) != 0
}
