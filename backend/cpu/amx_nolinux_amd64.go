//go:build !linux && amd64

package cpu

// requestAMXState: AMX is only enabled on Linux, where the tile state is
// requested explicitly (other systems are untested).
func requestAMXState() bool { return false }

// amxFormAlloc returns n zeroed elements for q's AMX form.
func amxFormAlloc[T any](q *T, n int) []uint16 { return make([]uint16, n) }
