package cpu

import "fmt"

// Serialisation of pre-packed weights, used by compiled model packages: llmc compile packs every
// constant GEMM operand once at compile time and the generated package wraps the bytes it
// embeds. The packed layout (16-column panels, K blocks of kcFor(K)) is the same on every
// architecture and kernel path.

// Data returns the packed panels of pb (owned by pb; do not modify).
func (pb *PackedB) Data() []float32 { return pb.data }

// PackedBFromData wraps packed panels produced by (*PackedB).Data for an op(B) of K x N, without
// copying. It fails when the length does not match the layout.
func PackedBFromData(k, n int, data []float32) (*PackedB, error) {
	if k <= 0 || n <= 0 {
		return nil, fmt.Errorf("cpu: packed B of bad shape %dx%d", k, n)
	}
	if want := packedBSize(k, n); len(data) != want {
		return nil, fmt.Errorf("cpu: packed B %dx%d needs %d floats, got %d (packed by another llmc version?)", k, n, want, len(data))
	}
	return &PackedB{K: k, N: n, kc: kcFor(k), panels: (n + gemmNR - 1) / gemmNR, data: data}, nil
}

// PackedLayout names the packed-B layout (panel width and K blocking). Compiled model packages
// record it when they are generated and refuse to run with a different one.
func PackedLayout() string { return fmt.Sprintf("nr%d-kc%d", gemmNR, gemmKCMax) }
