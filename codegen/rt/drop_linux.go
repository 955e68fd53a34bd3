//go:build linux

package rt

import "syscall"

const canDropPages = true

// dropPages tells the kernel it may drop the (clean, file-backed) pages of b;
// they are read back from the file if touched again.
func dropPages(b []byte) { _ = syscall.Madvise(b, syscall.MADV_DONTNEED) }
