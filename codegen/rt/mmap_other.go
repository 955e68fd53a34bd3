//go:build !(linux || darwin || freebsd)

package rt

import (
	"io"
	"os"
)

func mapFile(f *os.File, n int) ([]byte, error) {
	b := make([]byte, n)
	_, err := io.ReadFull(f, b)
	return b, err
}
