package cpu

import (
	"fmt"
	"os"
	"runtime"

	"github.com/klauspost/cpuid/v2"
)

// Path names.
const (
	PathGeneric = "generic"
	PathAVX2    = "avx2"
	PathAVX512  = "avx512" // the AVX2 table plus AVX-512 SGEMM, GELU, exp, softmax and GEMM epilogues
	PathNEON    = "neon"
)

// sgemm micro-tile shape, identical on every path so that a PackedB can be
// used whichever path is active.
const (
	gemmMR = 6
	gemmNR = 16
)

// kernelTable is the set of primitive kernels a path provides. The exported
// API in this package is written against this table; a path that has no fast
// version of a primitive uses the generic one.
type kernelTable struct {
	name string

	// sgemmKernel computes the gemmMR x gemmNR tile
	//   acc[i][j] = sum_p a[p*MR+i] * b[p*NR+j]   (p < k)
	// and stores it to c (row stride ldc): c = acc if !accumulate, c += acc
	// otherwise. a and b point at packed panels. pf (k*4 floats, or nil) is a
	// prefetch hint: memory needed soon (the next B micro-panel).
	sgemmKernel func(k int, a, b, c []float32, ldc int, accumulate bool, pf []float32)
	// sgemmKernelWide, when set, computes a rows x 2*NR tile (rows even, 2..2*MR)
	// from two consecutive A micro-panels (a0 for rows 0-5, a1 for rows 6-11;
	// a1 is not read when rows <= 6) and two B panels (b0, b1) in the same
	// packed layouts. pf (k*8 floats, or nil) is prefetched meanwhile.
	sgemmKernelWide func(rows, k int, a0, a1, b0, b1, c []float32, ldc int, accumulate bool, pf []float32)

	// Vector math, dst and src of equal length (may alias).
	exp      func(dst, src []float32)
	tanh     func(dst, src []float32)
	erf      func(dst, src []float32)
	gelu     func(dst, src []float32)
	geluTanh func(dst, src []float32)

	// Elementwise (dst, a, b of equal length; may alias).
	add func(dst, a, b []float32)
	sub func(dst, a, b []float32)
	mul func(dst, a, b []float32)
	div func(dst, a, b []float32)
	// Scalar: dst[i] = a[i] op s.
	addScalar func(dst, a []float32, s float32)
	mulScalar func(dst, a []float32, s float32)

	// Reductions over one row.
	sum   func(x []float32) float32
	max   func(x []float32) float32
	sumSq func(x []float32, mean float32) float32 // sum (x-mean)^2
	// moments returns sum(x-k) and sum((x-k)^2) in one pass.
	moments func(x []float32, k float32) (s, s2 float32)
	expSub  func(dst, x []float32, m float32) float32 // dst=exp(x-m), returns sum(dst)
	// normAffine: dst[i] = (x[i]-mean)*rstd*gamma[i] + beta[i]
	normAffine func(dst, x, gamma, beta []float32, mean, rstd float32)
	// prefetch (optional, may be nil): prefetches x into cache (a hint; returns
	// at once).
	prefetch func(x []float32)
	// packA6 (optional, may be nil): packs a full 6-row A panel, kc a multiple
	// of 8: dst[q*6+i] = alpha*a[i*lda+q].
	packA6 func(dst, a []float32, lda, kc int, alpha float32)
	// packBT16 (optional, may be nil): packs 16 rows of a transposed B,
	// kc a multiple of 8: dst[q*16+j] = b[j*ldb+q].
	packBT16 func(dst, b []float32, ldb, kc int)
	// epiTile (optional, may be nil): applies an epilogue to rows x 16
	// floats of c in one call (bias/res nil when absent).
	epiTile func(c []float32, ldc, rows int, bias []float32, scale float32, res []float32, ldr int, act Activation)
	// epi (optional, may be nil): epiTile for any rows x cols block.
	epi func(c []float32, ldc, rows, cols int, bias []float32, scale float32, res []float32, ldr int, act Activation)
	// layerNorm (optional, may be nil): LayerNorm of m rows of n floats (n a
	// multiple of 8) of x, or of x + skip + bias when skip and bias are both
	// non-nil; dst may alias x or skip.
	layerNorm func(dst, x, skip, bias, gamma, beta []float32, m, n int, eps float32)
	// softmax (optional, may be nil): row softmax of m rows of n floats (n a
	// multiple of 8) with optional mask row; dst may alias x.
	softmax func(dst, x, mask []float32, m, n int)
	// softmaxAnyN: softmax takes any n > 0, not only multiples of 8.
	softmaxAnyN bool
	// add3: dst = a + b + c (c may be nil -> dst = a + b)
	add3 func(dst, a, b, c []float32)

	// int8 micro-kernel (see gemmu8s8.go); i8Exact: exact for every u8 A
	// (otherwise only for A <= 127, see GemmU8S8).
	i8Kernel func(k4 int, a []uint8, b []int8, c []int32, ldc int)
	i8Exact  bool
}

var (
	active   *kernelTable
	tables   = map[string]*kernelTable{}
	bestPath string
)

func register(t *kernelTable) { tables[t.name] = t }

func init() {
	register(genericTable())
	registerArch() // per-architecture (dispatch_<arch>.go)
	bestPath = PathGeneric
	switch {
	case runtime.GOARCH == "amd64" && tables[PathAVX512] != nil && cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3, cpuid.AVX512F, cpuid.AVX512DQ, cpuid.AVX512BW, cpuid.AVX512VL):
		bestPath = PathAVX512
	case runtime.GOARCH == "amd64" && tables[PathAVX2] != nil && cpuid.CPU.Supports(cpuid.AVX2, cpuid.FMA3):
		bestPath = PathAVX2
	case runtime.GOARCH == "arm64" && tables[PathNEON] != nil:
		// Advanced SIMD is mandatory in ARMv8-A, which Go requires.
		bestPath = PathNEON
	}
	active = tables[bestPath]
	if env := os.Getenv("LLMC_CPU"); env != "" {
		if _, err := SetPath(env); err != nil {
			fmt.Fprintf(os.Stderr, "llmc/backend/cpu: LLMC_CPU=%s: %v; using %q\n", env, err, bestPath)
		}
	}
}

// Path returns the name of the active kernel path ("generic", "avx2", "avx512" or "neon").
func Path() string { return active.name }

// Paths returns the kernel paths this CPU can run, best first.
func Paths() []string {
	switch bestPath {
	case PathGeneric:
		return []string{PathGeneric}
	case PathAVX512:
		return []string{PathAVX512, PathAVX2, PathGeneric}
	}
	return []string{bestPath, PathGeneric}
}

// SetPath makes name the active kernel path and returns a function that
// restores the previous one. It fails, leaving the active path unchanged, if
// the path is unknown or not supported by this CPU. SetPath is not safe to
// call while kernels are running.
func SetPath(name string) (restore func(), err error) {
	ok := false
	for _, p := range Paths() {
		if p == name {
			ok = true
		}
	}
	if !ok {
		return func() {}, fmt.Errorf("cpu path %q not available on this machine (%s/%s; available: %v)",
			name, runtime.GOOS, runtime.GOARCH, Paths())
	}
	prev := active
	active = tables[name]
	return func() { active = prev }, nil
}

// fill in nil entries of t from the generic table.
func withGenericFallback(t *kernelTable) *kernelTable {
	g := genericTable()
	if t.sgemmKernel == nil {
		t.sgemmKernel = g.sgemmKernel
	}
	if t.exp == nil {
		t.exp = g.exp
	}
	if t.tanh == nil {
		t.tanh = g.tanh
	}
	if t.erf == nil {
		t.erf = g.erf
	}
	if t.gelu == nil {
		t.gelu = g.gelu
	}
	if t.geluTanh == nil {
		t.geluTanh = g.geluTanh
	}
	if t.add == nil {
		t.add = g.add
	}
	if t.sub == nil {
		t.sub = g.sub
	}
	if t.mul == nil {
		t.mul = g.mul
	}
	if t.div == nil {
		t.div = g.div
	}
	if t.addScalar == nil {
		t.addScalar = g.addScalar
	}
	if t.mulScalar == nil {
		t.mulScalar = g.mulScalar
	}
	if t.sum == nil {
		t.sum = g.sum
	}
	if t.max == nil {
		t.max = g.max
	}
	if t.sumSq == nil {
		t.sumSq = g.sumSq
	}
	if t.moments == nil {
		t.moments = g.moments
	}
	if t.expSub == nil {
		t.expSub = g.expSub
	}
	if t.normAffine == nil {
		t.normAffine = g.normAffine
	}
	if t.add3 == nil {
		t.add3 = g.add3
	}
	if t.i8Kernel == nil {
		t.i8Kernel = g.i8Kernel
	}
	return t
}
