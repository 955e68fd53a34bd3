//go:build linux

package rt

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unsafe"
)

const canDropPages = true

// dropPages tells the kernel it may drop the (clean, file-backed) pages of b;
// they are read back from the file if touched again.
func dropPages(b []byte) { _ = syscall.Madvise(b, syscall.MADV_DONTNEED) }

// fileMapped reports whether all of b lies in mappings of files (per
// /proc/self/maps: a non-zero inode), whose dropped pages read back from the
// file. An executable that unpacks itself into anonymous memory would read
// dropped pages back as zeros, so go:embed data is checked before Drop.
func fileMapped(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return false
	}
	defer f.Close()
	lo := uint64(uintptr(unsafe.Pointer(&b[0])))
	hi := lo + uint64(len(b))
	sc := bufio.NewScanner(f)
	for sc.Scan() && lo < hi {
		// start-end perms offset dev inode [path]
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		start, end, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		s, err1 := strconv.ParseUint(start, 16, 64)
		e, err2 := strconv.ParseUint(end, 16, 64)
		if err1 != nil || err2 != nil || e <= lo || s > lo {
			continue
		}
		if fields[4] == "0" {
			return false // anonymous memory
		}
		lo = e // the rest must be mapped too (maps are sorted by address)
	}
	return lo >= hi
}
