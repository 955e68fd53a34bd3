//go:build linux && amd64

package cpu

import (
	"runtime"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// requestAMXState asks Linux for the AMX tile data state of this process
// (arch_prctl ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA); without it the first
// tile instruction faults.
func requestAMXState() bool {
	const archReqXcompPerm, xfeatureXtiledata = 0x1023, 18
	_, _, errno := syscall.RawSyscall(syscall.SYS_ARCH_PRCTL, archReqXcompPerm, xfeatureXtiledata, 0)
	return errno == 0
}

// amxHugeMin is the size from which an AMX weight form is mapped with
// transparent huge pages.
const amxHugeMin = 4 << 20

// amxMapped counts the AMX forms mapped by amxFormAlloc and not yet released.
var amxMapped atomic.Int64

// amxFormAlloc returns n zeroed elements for q's AMX form. Forms of amxHugeMin
// bytes and more (a model's weight matrices) are mapped outside the Go heap,
// with transparent huge pages advised (Linux gives them where THP is enabled
// for madvise or always): a GEMM at a few hundred rows streams its weights
// from memory, and 2 MiB pages spare it a TLB miss every 4 KiB. On the
// bert-base GEMM stream (512 MiB of bf16x6 weights) this measured 2-4% faster
// at 1 and 2 threads. The mapping is exactly the form's size, so that the
// huge pages cover its aligned interior and nothing beyond it is touched; it
// is released when q becomes unreachable.
func amxFormAlloc[T any](q *T, n int) []uint16 {
	if 2*n < amxHugeMin {
		return make([]uint16, n)
	}
	b, err := syscall.Mmap(-1, 0, 2*n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return make([]uint16, n)
	}
	_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE) // best effort: THP may be off
	amxMapped.Add(1)
	runtime.AddCleanup(q, func(b []byte) {
		if syscall.Munmap(b) == nil {
			amxMapped.Add(-1)
		}
	}, b)
	return unsafe.Slice((*uint16)(unsafe.Pointer(&b[0])), n)
}
