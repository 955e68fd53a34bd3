//go:build linux || darwin || freebsd

package rt

import (
	"os"
	"syscall"
)

// mapFile maps the file read-only; the pages are shared with the page cache.
func mapFile(f *os.File, n int) ([]byte, error) {
	if n == 0 {
		return []byte{}, nil
	}
	return syscall.Mmap(int(f.Fd()), 0, n, syscall.PROT_READ, syscall.MAP_SHARED)
}
