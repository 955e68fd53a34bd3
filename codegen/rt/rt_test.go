package rt

import (
	_ "embed"
	"os"
	"path/filepath"
	"testing"
)

//go:embed testdata/blob.bin
var testBlob []byte

// checkBlob verifies the float32 pattern i*0.5 of testdata/blob.bin.
func checkBlob(t *testing.T, b *Blob, what string) {
	t.Helper()
	f := BlobView[float32](b, 0, b.Len()/4)
	for i, v := range f {
		if v != float32(i)*0.5 {
			t.Fatalf("%s: element %d = %v, want %v", what, i, v, float32(i)*0.5)
		}
	}
}

// TestDrop: dropping pages of a file-backed blob (mmapped or embedded) keeps its
// contents readable; on a heap copy Drop does nothing.
func TestDrop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.bin")
	if err := os.WriteFile(path, testBlob, 0o644); err != nil {
		t.Fatal(err)
	}
	fromFile, err := BlobFromFile(path, len(testBlob))
	if err != nil {
		t.Fatal(err)
	}
	heap := append([]byte(nil), testBlob...)
	for name, b := range map[string]*Blob{"file": fromFile, "embedded": BlobFromEmbedded(testBlob), "heap": BlobFromBytes(heap)} {
		checkBlob(t, b, name)
		b.Drop(100, b.Len()-200)
		b.Drop(0, b.Len())
		checkBlob(t, b, name+" after Drop")
	}
	if BlobFromBytes(heap).fileBacked || BlobFromEmbedded(heap).fileBacked {
		t.Error("a heap blob must not be file-backed")
	}
	if canDropPages && !BlobFromEmbedded(testBlob).fileBacked {
		t.Error("go:embed data of this test binary should be found in its file mapping")
	}
	if _, err := BlobFromFile(path, len(testBlob)+1); err == nil {
		t.Error("size mismatch accepted")
	}
}

func TestSizes(t *testing.T) {
	if got := SizeMul(2, 3, 7); got != 42 {
		t.Fatalf("SizeMul = %d", got)
	}
	if got := SizeMul(1<<40, 1<<30); got != -1 {
		t.Fatalf("overflowing SizeMul = %d, want -1", got)
	}
	if got := SizeAdd(SizeMul(1<<40, 1<<30), 5); got != -1 {
		t.Fatalf("SizeAdd of an overflow = %d, want -1", got)
	}
	if got := SizeAdd(40, 2); got != 42 {
		t.Fatalf("SizeAdd = %d", got)
	}
	if err := CheckSizes([]int{10, 20}, 30); err != nil {
		t.Fatal(err)
	}
	if err := CheckSizes([]int{10, 21}, 30); err == nil {
		t.Fatal("over the limit accepted")
	}
	if err := CheckSizes([]int{10, -1}, 0); err == nil {
		t.Fatal("an overflowed size accepted")
	}
}
