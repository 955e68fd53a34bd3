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
func amxKernelI8(ksteps int, a *int8, b *int8, cin *int32, cout *int32, pf *int8, pfn int)

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

// amxI8Available reports whether INT8x6 GEMMs can run: AMX (amxAvailable) with
// AMX-INT8.
func amxI8Available() bool { return amxAvailable() && cpuid.CPU.Supports(cpuid.AMXINT8) }

// amxKernelI8Call runs amxKernelI8 on ksteps steps of a (3 KiB each) and b (6
// KiB each), the int32 sums from cin (nil: zero) to cout (1536 each). Each step
// prefetches pfn cache lines of pf (into L2), in order. Call it between
// amxBegin and amxEnd.
func amxKernelI8Call(ksteps int, a, b []int8, cin, cout []int32, pf []int8, pfn int) {
	_ = a[ksteps*3072-1]
	_ = b[ksteps*6144-1]
	_ = cout[1535]
	var ci *int32
	if cin != nil {
		_ = cin[1535]
		ci = &cin[0]
	}
	var p *int8
	if pfn = min(pfn, len(pf)/64/max(ksteps, 1)); pfn > 0 {
		p = &pf[0]
	} else {
		pfn = 0
	}
	amxKernelI8(ksteps, &a[0], &b[0], ci, &cout[0], p, pfn)
}

// absMaxBits returns the bits of max |x[i]| (0 for none; a NaN above +Inf).
func absMaxBits(x []float32) uint32 {
	if len(x) == 0 {
		return 0
	}
	return absMaxBitsAVX512(&x[0], len(x))
}

// splitI8 writes steps 64-float steps of x times f as int8 slices: step s's
// slice e at dst[s*3072+e*1024:][:64] (one row of the step's A tiles).
func splitI8(dst []int8, x []float32, steps int, f float32) {
	if steps == 0 {
		return
	}
	_ = dst[(steps-1)*3072+2*1024+63]
	_ = x[steps*64-1]
	splitI8AVX512(&dst[0], &x[0], steps, 3072, f)
}

// convI8 writes (add: adds) rows [0, rows) of the 16x32 block whose slice
// sums part holds (amxKernelI8's layout) to c (row stride ldc), scaled by the
// rows' sa and the columns' sb.
func convI8(c []float32, ldc int, part []int32, sa, sb []float32, rows int, add bool) {
	if rows == 0 {
		return
	}
	_ = c[(rows-1)*ldc+31]
	_ = part[1535]
	_ = sa[rows-1]
	_ = sb[31]
	ad := 0
	if add {
		ad = 1
	}
	convI8AVX512(&c[0], ldc, &part[0], &sa[0], &sb[0], rows, ad)
}
