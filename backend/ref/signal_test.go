package ref

import (
	"math"
	"math/cmplx"
	"math/rand"
	"testing"

	"github.com/llmc/llmc/ir"
	"github.com/stretchr/testify/require"
)

// sigTDFT is an independent complex DFT (math/cmplx) of x zero-padded/truncated to n points.
func sigTDFT(x []complex128, n int, inverse bool) []complex128 {
	out := make([]complex128, n)
	sign := -1.0
	if inverse {
		sign = 1
	}
	for k := 0; k < n; k++ {
		for j := 0; j < n && j < len(x); j++ {
			out[k] += x[j] * cmplx.Exp(complex(0, sign*2*math.Pi*float64(j*k)/float64(n)))
		}
		if inverse {
			out[k] /= complex(float64(n), 0)
		}
	}
	return out
}

func TestDFTAgainstDirectSum(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	x := rnnTRand(r, 2, 6, 1) // two real signals of length 6
	xv := F64s(x)
	for _, tc := range []struct {
		attrs    []ir.Attr
		length   *ir.Tensor
		n, bins  int
		inverse  bool
		onesided bool
	}{
		{nil, nil, 6, 6, false, false},
		{[]ir.Attr{ir.AInt("onesided", 1)}, nil, 6, 4, false, true},
		{[]ir.Attr{ir.AInt("inverse", 1)}, nil, 6, 6, true, false},
		{nil, ir.ScalarInt64(8), 8, 8, false, false},
		{nil, ir.ScalarInt64(4), 4, 4, false, false},
	} {
		out := rnnTRun(t, "", "DFT", 17, 1, []*ir.Tensor{x, tc.length}, tc.attrs...)[0]
		require.Equal(t, []int64{2, int64(tc.bins), 2}, out.Shape)
		var want []float64
		for b := 0; b < 2; b++ {
			sig := make([]complex128, 6)
			for j := range sig {
				sig[j] = complex(xv[b*6+j], 0)
			}
			for _, v := range sigTDFT(sig, tc.n, tc.inverse)[:tc.bins] {
				want = append(want, real(v), imag(v))
			}
		}
		rnnTClose(t, want, out, 1e-5)
	}
}

func TestDFTRoundTripAndAxis(t *testing.T) {
	r := rand.New(rand.NewSource(6))
	x := rnnTRand(r, 3, 5, 2) // complex, transform along axis 0 (opset 17 attr) and -3 (opset 20 input)
	b := ir.NewBuilder("t", map[string]int64{"": 17})
	in := b.Const("x", x)
	y := b.Op("DFT", []*ir.Value{in}, ir.AInt("axis", 0))
	z := b.Op("DFT", []*ir.Value{y}, ir.AInt("axis", 0), ir.AInt("inverse", 1))
	b.Output(z)
	res, err := Run(b.MustGraph(), nil, Options{})
	require.NoError(t, err)
	rnnTClose(t, F64s(x), res[0].(*ir.Tensor), 1e-5)

	o17 := rnnTRun(t, "", "DFT", 17, 1, []*ir.Tensor{x}, ir.AInt("axis", 0))[0]
	o20 := rnnTRun(t, "", "DFT", 20, 1, []*ir.Tensor{x, nil, ir.ScalarInt64(-3)})[0]
	rnnTClose(t, F64s(o17), o20, 1e-9)

	// symbolic inference: [batch, 16, 1] -> onesided -> [batch, 9, 2]
	bb := ir.NewBuilder("t", map[string]int64{"": 17})
	v := bb.Input("x", ir.TensorType(ir.Float32, ir.Shape{ir.Sym("batch"), ir.D(16), ir.D(1)}))
	require.Equal(t, "f32[batch,9,2]", bb.Op("DFT", []*ir.Value{v}, ir.AInt("onesided", 1)).Type.String())
	require.Equal(t, "f32[batch,?,2]", bb.Op("DFT", []*ir.Value{v, bb.Input("n", ir.TensorType(ir.Int64, ir.Shape{}))}).Type.String())

	_, err = rnnTTry("", "DFT", 17, 1, []*ir.Tensor{x}, ir.AInt("axis", 2))
	require.ErrorContains(t, err, "component axis")
	_, err = rnnTTry("", "DFT", 17, 1, []*ir.Tensor{x}, ir.AInt("axis", 5))
	require.ErrorContains(t, err, "out of range")
}

func TestSTFTFramesWindowed(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	sig := rnnTRand(r, 1, 10, 1)
	win := ir.FromFloat32s([]int64{4}, []float32{0.5, 1, 1, 0.5})
	out := rnnTRun(t, "", "STFT", 17, 1, []*ir.Tensor{sig, ir.ScalarInt64(3), win})[0]
	require.Equal(t, []int64{1, 3, 3, 2}, out.Shape) // frames (10-4)/3+1, onesided bins 4/2+1
	sv, wv := F64s(sig), F64s(win)
	var want []float64
	for f := 0; f < 3; f++ {
		frame := make([]complex128, 4)
		for j := range frame {
			frame[j] = complex(sv[f*3+j]*wv[j], 0)
		}
		for _, v := range sigTDFT(frame, 4, false)[:3] {
			want = append(want, real(v), imag(v))
		}
	}
	rnnTClose(t, want, out, 1e-5)
	two := rnnTRun(t, "", "STFT", 17, 1, []*ir.Tensor{sig, ir.ScalarInt64(3), nil, ir.ScalarInt64(4)}, ir.AInt("onesided", 0))[0]
	require.Equal(t, []int64{1, 3, 4, 2}, two.Shape)
	_, err := rnnTTry("", "STFT", 17, 1, []*ir.Tensor{sig, ir.ScalarInt64(0), win})
	require.ErrorContains(t, err, "frame_step")
}

func TestWindowsByHand(t *testing.T) {
	four, five := ir.ScalarInt64(4), ir.FromInt32s(nil, []int32{5})
	rnnTClose(t, []float64{0, 0.5, 1, 0.5}, rnnTRun(t, "", "HannWindow", 17, 1, []*ir.Tensor{four})[0], 1e-7)
	rnnTClose(t, []float64{0, 0.5, 1, 0.5, 0}, rnnTRun(t, "", "HannWindow", 17, 1, []*ir.Tensor{five}, ir.AInt("periodic", 0))[0], 1e-7)
	a0, a1 := 25.0/46, 21.0/46
	rnnTClose(t, []float64{a0 - a1, a0, a0 + a1, a0}, rnnTRun(t, "", "HammingWindow", 17, 1, []*ir.Tensor{four})[0], 1e-7)
	bl := rnnTRun(t, "", "BlackmanWindow", 17, 1, []*ir.Tensor{five}, ir.AInt("periodic", 0), ir.AInt("output_datatype", int64(ir.Float64)))[0]
	require.Equal(t, ir.Float64, bl.DType)
	rnnTClose(t, []float64{0, 0.34, 1, 0.34, 0}, bl, 1e-12) // 0.42 - 0.5 cos(pi/2) + 0.08 cos(pi) at n=1
}

func TestMelWeightMatrixByHand(t *testing.T) {
	// 4 mel points (num_mel_bins + 2) at 0, 0.875-, 1.75-, 2.625- Hz map to bins floor(9 hz / 8) = 0, 0, 1, 2
	out := rnnTRun(t, "", "MelWeightMatrix", 17, 1, []*ir.Tensor{ir.ScalarInt64(2), ir.ScalarInt64(8), ir.ScalarInt64(8),
		ir.ScalarFloat32(0), ir.ScalarFloat32(3.5)})[0]
	require.Equal(t, []int64{5, 2}, out.Shape)
	rnnTClose(t, []float64{1, 0, 0, 1, 0, 0, 0, 0, 0, 0}, out, 0)
}

// TestGridSampleIdentityGrid: AffineGrid of the identity transform samples every pixel at its
// own position, so GridSample reproduces X in every mode.
func TestGridSampleIdentityGrid(t *testing.T) {
	r := rand.New(rand.NewSource(8))
	x := rnnTRand(r, 1, 2, 3, 4)
	theta := ir.FromFloat32s([]int64{1, 2, 3}, []float32{1, 0, 0, 0, 1, 0})
	size := ir.FromInt64s([]int64{4}, []int64{1, 2, 3, 4})
	for _, align := range []int64{0, 1} {
		grid := rnnTRun(t, "", "AffineGrid", 20, 1, []*ir.Tensor{theta, size}, ir.AInt("align_corners", align))[0]
		require.Equal(t, []int64{1, 3, 4, 2}, grid.Shape)
		for _, mode := range []string{"bilinear", "nearest", "bicubic"} {
			y := rnnTRun(t, "", "GridSample", 16, 1, []*ir.Tensor{x, grid}, ir.AInt("align_corners", align), ir.AString("mode", mode))[0]
			rnnTClose(t, F64s(x), y, 1e-6)
		}
	}
	// by hand: theta scales x by 2 over a 1x2 output (align 0): x = -0.5, 0.5 -> -1, 1; y = 0
	g := rnnTRun(t, "", "AffineGrid", 20, 1, []*ir.Tensor{ir.FromFloat32s([]int64{1, 2, 3}, []float32{2, 0, 0, 0, 1, 0}),
		ir.FromInt64s([]int64{4}, []int64{1, 1, 1, 2})})[0]
	rnnTClose(t, []float64{-1, 0, 1, 0}, g, 1e-7)

	// out-of-range points: zeros padding reads 0, border padding the edge pixel
	far := ir.FromFloat32s([]int64{1, 1, 1, 2}, []float32{5, 0})
	x1 := ir.FromFloat32s([]int64{1, 1, 1, 2}, []float32{3, 7})
	rnnTClose(t, []float64{0}, rnnTRun(t, "", "GridSample", 16, 1, []*ir.Tensor{x1, far})[0], 0)
	rnnTClose(t, []float64{7}, rnnTRun(t, "", "GridSample", 16, 1, []*ir.Tensor{x1, far}, ir.AString("padding_mode", "border"))[0], 0)
	// halfway between the two pixel centres (x = 0 in normalized coords, align 0)
	mid := ir.FromFloat32s([]int64{1, 1, 1, 2}, []float32{0, 0})
	rnnTClose(t, []float64{5}, rnnTRun(t, "", "GridSample", 16, 1, []*ir.Tensor{x1, mid})[0], 1e-6)

	bb := ir.NewBuilder("t", map[string]int64{"": 16})
	xv := bb.Input("x", ir.TensorType(ir.Float32, ir.Shape{ir.Sym("n"), ir.D(3), ir.Sym("h"), ir.Sym("w")}))
	gv := bb.Input("g", ir.TensorType(ir.Float32, ir.Shape{ir.Sym("n"), ir.D(5), ir.D(6), ir.D(2)}))
	require.Equal(t, "f32[n,3,5,6]", bb.Op("GridSample", []*ir.Value{xv, gv}).Type.String())
	_, err := rnnTTry("", "GridSample", 16, 1, []*ir.Tensor{x, ir.FromFloat32s([]int64{1, 2, 2, 3}, make([]float32, 12))})
	require.Error(t, err)
}

func TestRoiAlignByHand(t *testing.T) {
	// X[h, w] = w on an 8x8 plane: the average of a bin is the mean x of its samples.
	v := make([]float32, 64)
	for i := range v {
		v[i] = float32(i % 8)
	}
	x := ir.FromFloat32s([]int64{1, 1, 8, 8}, v)
	rois := ir.FromFloat32s([]int64{1, 4}, []float32{0, 0, 4, 4})
	idx := ir.FromInt64s([]int64{1}, []int64{0})
	attrs := []ir.Attr{ir.AInt("output_height", 2), ir.AInt("output_width", 2), ir.AInt("sampling_ratio", 2)}
	// half_pixel: roi starts at -0.5, bins 2 wide, samples at x = 0, 1 and 2, 3
	out := rnnTRun(t, "", "RoiAlign", 16, 1, []*ir.Tensor{x, rois, idx}, attrs...)[0]
	rnnTClose(t, []float64{0.5, 2.5, 0.5, 2.5}, out, 1e-6)
	// opset 10 (output_half_pixel): samples at x = 0.5, 1.5 and 2.5, 3.5
	out = rnnTRun(t, "", "RoiAlign", 10, 1, []*ir.Tensor{x, rois, idx}, attrs...)[0]
	rnnTClose(t, []float64{1, 3, 1, 3}, out, 1e-6)
	// max mode on a constant plane: the largest weighted corner of a centred sample
	c := ir.FromFloat32s([]int64{1, 1, 8, 8}, make([]float32, 64))
	for i := range c.Float32s() {
		c.Float32s()[i] = 2
	}
	out = rnnTRun(t, "", "RoiAlign", 16, 1, []*ir.Tensor{c, rois, idx}, append(attrs, ir.AString("mode", "avg"))...)[0]
	rnnTClose(t, []float64{2, 2, 2, 2}, out, 1e-6)
	_, err := rnnTTry("", "RoiAlign", 16, 1, []*ir.Tensor{x, rois, ir.FromInt64s([]int64{1}, []int64{3})})
	require.ErrorContains(t, err, "batch_indices")
}

func TestNonMaxSuppressionByHand(t *testing.T) {
	// boxes (y1, x1, y2, x2): 0 and 1 overlap with IoU 0.81, 2 is apart
	boxes := ir.FromFloat32s([]int64{1, 3, 4}, []float32{0, 0, 10, 10, 0, 1, 10, 11, 20, 20, 30, 30})
	scores := ir.FromFloat32s([]int64{1, 1, 3}, []float32{0.7, 0.9, 0.8})
	maxOut := ir.FromInt64s([]int64{1}, []int64{3})
	out := rnnTRun(t, "", "NonMaxSuppression", 11, 1, []*ir.Tensor{boxes, scores, maxOut, ir.FromFloat32s([]int64{1}, []float32{0.5})})[0]
	require.Equal(t, []int64{2, 3}, out.Shape)
	require.Equal(t, []int64{0, 0, 1, 0, 0, 2}, out.Int64s())
	// a threshold above the IoU keeps all three, by score
	out = rnnTRun(t, "", "NonMaxSuppression", 11, 1, []*ir.Tensor{boxes, scores, maxOut, ir.FromFloat32s([]int64{1}, []float32{0.9})})[0]
	require.Equal(t, []int64{0, 0, 1, 0, 0, 2, 0, 0, 0}, out.Int64s())
	// score threshold and no max_output_boxes (none selected)
	out = rnnTRun(t, "", "NonMaxSuppression", 11, 1, []*ir.Tensor{boxes, scores, maxOut, ir.FromFloat32s([]int64{1}, []float32{0.9}), ir.FromFloat32s([]int64{1}, []float32{0.75})})[0]
	require.Equal(t, []int64{0, 0, 1, 0, 0, 2}, out.Int64s())
	out = rnnTRun(t, "", "NonMaxSuppression", 11, 1, []*ir.Tensor{boxes, scores})[0]
	require.Equal(t, []int64{0, 3}, out.Shape)
	_, err := rnnTTry("", "NonMaxSuppression", 11, 1, []*ir.Tensor{ir.FromFloat32s([]int64{1, 3, 3}, make([]float32, 9)), scores})
	require.Error(t, err)
}
