//go:build linux && amd64

package cpu

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

// TestAMXFormMapping checks the AMX form of a large weight matrix: mapped
// outside the Go heap (amxFormAlloc), used by the GEMM (bit-identical to the
// float32 kernels on values whose products and sums are exact), and unmapped
// once its PackedB is unreachable.
func TestAMXFormMapping(t *testing.T) {
	if !AMXAvailable() {
		t.Skip("no AMX-BF16 on this machine")
	}
	waitMapped := func(want int64) bool {
		for range 200 {
			runtime.GC()
			if amxMapped.Load() == want {
				return true
			}
			time.Sleep(5 * time.Millisecond)
		}
		return false
	}
	runtime.GC()
	base := amxMapped.Load()
	r := rand.New(rand.NewPCG(7, 8))
	m, n, k := 64, 1024, 1024 // a 6 MiB bf16x6 form
	w := make([]float32, n*k)
	a := make([]float32, m*k)
	for i := range w {
		w[i] = float32(r.IntN(33)-16) / 8
	}
	for i := range a {
		a[i] = float32(r.IntN(33)-16) / 8
	}
	ref := PackB(nil, true, k, n, w, k)
	want := make([]float32, m*n)
	SgemmPacked(nil, false, m, 1, a, k, ref, 0, want, n, nil)
	func() {
		pb := PackB(nil, true, k, n, w, k)
		if !pb.EnableAMX(BF16x6) {
			t.Fatal("EnableAMX(BF16x6) = false")
		}
		if got := amxMapped.Load(); got != base+1 {
			t.Fatalf("%d AMX forms mapped, want %d", got, base+1)
		}
		got := make([]float32, m*n)
		SgemmPacked(nil, false, m, 1, a, k, pb, 0, got, n, nil)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("[%d,%d] = %g, float32 kernels %g", i/n, i%n, got[i], want[i])
			}
		}
		// Asking for the other precision replaces the form: the first is released.
		if !pb.EnableAMX(BF16x3) {
			t.Fatal("EnableAMX(BF16x3) = false")
		}
		if !waitMapped(base + 1) {
			t.Fatalf("%d AMX forms mapped after replacing one, want %d", amxMapped.Load(), base+1)
		}
		runtime.KeepAlive(pb)
	}()
	if !waitMapped(base) {
		t.Fatalf("%d AMX forms still mapped after their weights were dropped, want %d", amxMapped.Load(), base)
	}
}
