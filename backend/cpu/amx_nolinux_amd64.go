//go:build !linux && amd64

package cpu

// requestAMXState: AMX is only enabled on Linux, where the tile state is
// requested explicitly (other systems are untested).
func requestAMXState() bool { return false }
