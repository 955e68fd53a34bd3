// Package openblas benchmarks OpenBLAS's cblas_sgemm (Debian libopenblas-dev,
// through cgo) against llmc's SgemmPacked on the bert-base shapes, in one
// process, interleaved. It is its own module so that the main module stays
// cgo-free; it is not part of `make test`.
package openblas

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

import "unsafe"

// Sgemm computes C = A * B^T (A m x k, B n x k, C m x n, row-major) with
// cblas_sgemm, the layout of a weight GEMM.
func Sgemm(m, n, k int, a, b, c []float32) {
	C.cblas_sgemm(C.CblasRowMajor, C.CblasNoTrans, C.CblasTrans, C.blasint(m), C.blasint(n), C.blasint(k),
		1, (*C.float)(unsafe.Pointer(&a[0])), C.blasint(k), (*C.float)(unsafe.Pointer(&b[0])), C.blasint(k),
		0, (*C.float)(unsafe.Pointer(&c[0])), C.blasint(n))
}

// CoreName is the kernel family OpenBLAS selected for this CPU.
func CoreName() string { return C.GoString(C.openblas_get_corename()) }

// SetThreads sets OpenBLAS's thread count.
func SetThreads(n int) { C.openblas_set_num_threads(C.int(n)) }
