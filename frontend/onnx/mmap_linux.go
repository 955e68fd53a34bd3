//go:build linux

package onnx

import (
	"os"
	"syscall"
)

// mapFile maps a model file read-only. release drops byte ranges from the process's resident
// set once they are decoded (the file stays mapped until unmap).
func mapFile(f *os.File, size int64) (data []byte, release func(off, n int), unmap func(), err error) {
	if size == 0 {
		return nil, nil, func() {}, nil
	}
	data, err = syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		return nil, nil, nil, err
	}
	page := os.Getpagesize()
	release = func(off, n int) {
		start := (off + page - 1) / page * page
		end := (off + n) / page * page
		if end > start {
			_ = syscall.Madvise(data[start:end], syscall.MADV_DONTNEED)
		}
	}
	return data, release, func() { _ = syscall.Munmap(data) }, nil
}
