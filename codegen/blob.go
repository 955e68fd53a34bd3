package codegen

import (
	"bufio"
	"encoding/binary"
	"math"
	"os"
)

// blobFile streams the weights blob to a temporary file in the package directory as the
// generator packs each weight, so compiling never holds the whole packed blob (nor a growing
// copy of it) in memory; commit renames it to its final name, abort removes it.
type blobFile struct {
	f       *os.File
	w       *bufio.Writer
	n       int
	err     error
	scratch []byte
}

func newBlobFile(path string) (*blobFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &blobFile{f: f, w: bufio.NewWriterSize(f, 1<<20), scratch: make([]byte, 64<<10)}, nil
}

// Len is the number of bytes written so far (the next offset).
func (b *blobFile) Len() int { return b.n }

// Write appends p; the first error sticks and is reported by commit.
func (b *blobFile) Write(p []byte) {
	if b.err == nil {
		_, b.err = b.w.Write(p)
	}
	b.n += len(p)
}

// WriteF32s appends x as little-endian float32s.
func (b *blobFile) WriteF32s(x []float32) {
	for len(x) > 0 {
		k := min(len(x), len(b.scratch)/4)
		for i, f := range x[:k] {
			binary.LittleEndian.PutUint32(b.scratch[4*i:], math.Float32bits(f))
		}
		b.Write(b.scratch[:4*k])
		x = x[k:]
	}
}

// Align pads with zeros to a multiple of 64 bytes.
func (b *blobFile) Align() {
	var zero [64]byte
	b.Write(zero[:(64-b.n%64)%64])
}

// commit flushes and renames the blob to final.
func (b *blobFile) commit(final string) error {
	if b.err == nil {
		b.err = b.w.Flush()
	}
	if err := b.f.Close(); b.err == nil {
		b.err = err
	}
	if b.err != nil {
		os.Remove(b.f.Name())
		return b.err
	}
	return os.Rename(b.f.Name(), final)
}

// abort removes the temporary file (after commit it is already gone).
func (b *blobFile) abort() {
	b.f.Close()
	os.Remove(b.f.Name())
}
