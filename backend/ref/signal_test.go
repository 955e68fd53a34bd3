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
	// samples land on pixel centres (weight 1 on one corner), so max mode reads the pixel itself
	out = rnnTRun(t, "", "RoiAlign", 16, 1, []*ir.Tensor{c, rois, idx}, append(attrs, ir.AString("mode", "max"))...)[0]
	rnnTClose(t, []float64{2, 2, 2, 2}, out, 1e-6)
	out = rnnTRun(t, "", "RoiAlign", 16, 1, []*ir.Tensor{x, rois, idx}, append(attrs, ir.AString("mode", "max"))...)[0]
	rnnTClose(t, []float64{1, 3, 1, 3}, out, 1e-6) // max over x = 0, 1 and 2, 3
	_, err := rnnTTry("", "RoiAlign", 16, 1, []*ir.Tensor{x, rois, ir.FromInt64s([]int64{1}, []int64{3})})
	require.ErrorContains(t, err, "batch_indices")
	// a NaN region reads nothing (sampling_ratio fixed, so the grid size does not depend on it)
	nan := ir.FromFloat32s([]int64{1, 4}, []float32{float32(math.NaN()), 0, 4, 4})
	out = rnnTRun(t, "", "RoiAlign", 16, 1, []*ir.Tensor{x, nan, idx}, attrs...)[0]
	require.Equal(t, []int64{1, 1, 2, 2}, out.Shape)
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

// sigTCtx is a minimal evaluation context with a small memory cap.
type sigTCtx struct{ opset int64 }

func (c sigTCtx) Opset() int64 { return c.opset }
func (c sigTCtx) NewTensor(dt ir.DType, shape []int64) (*ir.Tensor, error) {
	return ir.NewTensor(dt, shape, 1<<24)
}
func (sigTCtx) RunGraph(*ir.Graph, []ir.Datum) ([]ir.Datum, error) { return nil, nil }
func (sigTCtx) Rand() float64                                      { return 0.5 }

// TestFamilyEvalNeverPanics calls every evaluation hook of this family directly with random
// tensors (odd ranks, dtypes, empty dims, huge or negative values) and random attribute values:
// each call must return outputs or an error, never panic.
func TestFamilyEvalNeverPanics(t *testing.T) {
	ops := []struct {
		dom, op string
		opset   int64
	}{
		{"", "RNN", 14}, {"", "LSTM", 14}, {"", "GRU", 14}, {"", "DFT", 17}, {"", "DFT", 20}, {"", "STFT", 17},
		{"", "HannWindow", 17}, {"", "HammingWindow", 17}, {"", "BlackmanWindow", 17}, {"", "MelWeightMatrix", 17},
		{"", "GridSample", 16}, {"", "AffineGrid", 20}, {"", "RoiAlign", 10}, {"", "RoiAlign", 16},
		{"", "NonMaxSuppression", 11}, {"", "SimplifiedLayerNormalization", 17},
		{ir.MSDomain, "Attention", 1}, {ir.MSDomain, "SkipLayerNormalization", 1}, {ir.MSDomain, "SkipSimplifiedLayerNormalization", 1},
		{ir.MSDomain, "EmbedLayerNormalization", 1}, {ir.MSDomain, "BiasGelu", 1}, {ir.MSDomain, "FastGelu", 1},
		{ir.MSDomain, "Gelu", 1}, {ir.MSDomain, "QuickGelu", 1}, {ir.MSDomain, "BiasAdd", 1}, {ir.MSDomain, "FusedMatMul", 1},
		{ir.MSDomain, "DynamicQuantizeMatMul", 1}, {ir.MSDomain, "MatMulIntegerToFloat", 1},
	}
	rng := rand.New(rand.NewSource(21))
	dts := []ir.DType{ir.Float32, ir.Float32, ir.Float32, ir.Int64, ir.Int32, ir.Int8, ir.Uint8, ir.Float16, ir.Bool, ir.Int4, ir.Float64}
	randTensor := func() *ir.Tensor {
		shape := make([]int64, rng.Intn(6))
		for i := range shape {
			shape[i] = int64(rng.Intn(5))
		}
		x := ir.MustTensor(dts[rng.Intn(len(dts))], shape...)
		for i := range x.Raw {
			x.Raw[i] = byte(rng.Intn(256))
			if rng.Intn(3) == 0 {
				x.Raw[i] = byte(rng.Intn(3))
			}
		}
		return x
	}
	strs := []string{"forward", "reverse", "bidirectional", "x", "bilinear", "nearest", "bicubic", "linear", "cubic",
		"zeros", "border", "reflection", "avg", "max", "half_pixel", "output_half_pixel", "Tanh", "Relu", "LeakyRelu", "Elu"}
	randAttr := func(spec ir.AttrSpec) ir.Attr {
		a := ir.Attr{Name: spec.Name, Kind: spec.Kind}
		switch spec.Kind {
		case ir.AttrInt:
			a.I = int64(rng.Intn(7) - 2)
			if spec.Name == "output_datatype" {
				a.I = int64(rng.Intn(24))
			}
		case ir.AttrFloat:
			a.F = float32(rng.NormFloat64())
		case ir.AttrString:
			a.S = []byte(strs[rng.Intn(len(strs))])
		case ir.AttrInts:
			for i := rng.Intn(4); i > 0; i-- {
				a.Ints = append(a.Ints, int64(rng.Intn(9)-2))
			}
		case ir.AttrFloats:
			for i := rng.Intn(4); i > 0; i-- {
				a.Floats = append(a.Floats, float32(rng.NormFloat64()))
			}
		case ir.AttrStrings:
			for i := rng.Intn(7); i > 0; i-- {
				a.Strings = append(a.Strings, []byte(strs[rng.Intn(len(strs))]))
			}
		}
		return a
	}
	for _, o := range ops {
		s := ir.MustOp(o.dom, o.op)
		for iter := 0; iter < 400; iter++ {
			maxIn := s.MaxIn
			nin := s.MinIn + rng.Intn(maxIn-s.MinIn+1)
			if o.op == "EmbedLayerNormalization" {
				nin = 7 + rng.Intn(3)
			}
			n := &ir.Node{Op: o.op, Domain: o.dom}
			in := make([]ir.Datum, nin)
			for i := range in {
				if i >= s.MinIn && rng.Intn(3) == 0 {
					continue
				}
				in[i] = randTensor()
			}
			n.Inputs = make([]*ir.Value, nin)
			for i := range n.Inputs {
				if in[i] != nil {
					n.Inputs[i] = &ir.Value{Name: "i"}
				}
			}
			nout := max(s.MaxOut, 1)
			for i := 0; i < nout; i++ {
				n.Outputs = append(n.Outputs, &ir.Value{Name: "o"})
			}
			for _, spec := range s.Attrs {
				if rng.Intn(2) == 0 {
					n.SetAttr(randAttr(spec))
				}
			}
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s (opset %d) panicked: %v\ninputs: %v", o.op, o.opset, r, in)
					}
				}()
				_, _ = s.Eval(sigTCtx{opset: o.opset}, n, in)
			}()
		}
	}
}

// TestFamilyEvalMutatedInputs starts from valid inputs and overwrites one element of one input
// with an extreme value (NaN, infinities, negative or huge indices): hooks must not panic.
func TestFamilyEvalMutatedInputs(t *testing.T) {
	r := rand.New(rand.NewSource(22))
	i32 := func(shape []int64, v ...int32) *ir.Tensor { return ir.FromInt32s(shape, v) }
	i64 := func(shape []int64, v ...int64) *ir.Tensor { return ir.FromInt64s(shape, v) }
	u8 := ir.MustTensor(ir.Uint8, 2, 3)
	s8 := ir.MustTensor(ir.Int8, 3, 2)
	cases := []struct {
		dom, op string
		opset   int64
		nout    int
		in      []*ir.Tensor
		attrs   []ir.Attr
	}{
		{"", "LSTM", 14, 3, []*ir.Tensor{rnnTRand(r, 3, 2, 2), rnnTRand(r, 2, 8, 2), rnnTRand(r, 2, 8, 2), rnnTRand(r, 2, 16),
			i32([]int64{2}, 3, 1), rnnTRand(r, 2, 2, 2), rnnTRand(r, 2, 2, 2), rnnTRand(r, 2, 6)}, []ir.Attr{ir.AString("direction", "bidirectional")}},
		{"", "GRU", 14, 2, []*ir.Tensor{rnnTRand(r, 2, 3, 2), rnnTRand(r, 1, 6, 2), rnnTRand(r, 1, 6, 2), nil, i32([]int64{2}, 1, 2)}, []ir.Attr{ir.AInt("layout", 1)}},
		{"", "DFT", 17, 1, []*ir.Tensor{rnnTRand(r, 2, 5, 2), i64(nil, 4)}, nil},
		{"", "DFT", 20, 1, []*ir.Tensor{rnnTRand(r, 2, 5, 1), i64(nil, 4), i64(nil, 1)}, []ir.Attr{ir.AInt("onesided", 1)}},
		{"", "STFT", 17, 1, []*ir.Tensor{rnnTRand(r, 1, 9, 1), i64(nil, 2), rnnTRand(r, 4), i64(nil, 4)}, nil},
		{"", "HannWindow", 17, 1, []*ir.Tensor{i64(nil, 5)}, nil},
		{"", "MelWeightMatrix", 17, 1, []*ir.Tensor{i64(nil, 2), i64(nil, 8), i64(nil, 8), ir.ScalarFloat32(0), ir.ScalarFloat32(3.5)}, nil},
		{"", "GridSample", 16, 1, []*ir.Tensor{rnnTRand(r, 1, 1, 3, 3), rnnTRand(r, 1, 2, 2, 2)}, []ir.Attr{ir.AString("mode", "bicubic"), ir.AString("padding_mode", "reflection")}},
		{"", "GridSample", 16, 1, []*ir.Tensor{rnnTRand(r, 1, 1, 3, 3), rnnTRand(r, 1, 2, 2, 2)}, []ir.Attr{ir.AString("mode", "nearest"), ir.AString("padding_mode", "border")}},
		{"", "AffineGrid", 20, 1, []*ir.Tensor{rnnTRand(r, 1, 2, 3), i64([]int64{4}, 1, 1, 2, 3)}, nil},
		{"", "RoiAlign", 16, 1, []*ir.Tensor{rnnTRand(r, 2, 1, 4, 4), ir.FromFloat32s([]int64{1, 4}, []float32{0, 0, 2, 3}), i64([]int64{1}, 1)}, []ir.Attr{ir.AInt("sampling_ratio", 2)}},
		{"", "NonMaxSuppression", 11, 1, []*ir.Tensor{rnnTRand(r, 1, 3, 4), rnnTRand(r, 1, 2, 3), i64([]int64{1}, 2), ir.FromFloat32s([]int64{1}, []float32{0.5}), ir.FromFloat32s([]int64{1}, []float32{0})}, []ir.Attr{ir.AInt("center_point_box", 1)}},
		{ir.MSDomain, "Attention", 1, 2, []*ir.Tensor{rnnTRand(r, 2, 2, 4), rnnTRand(r, 4, 12), rnnTRand(r, 12), i32([]int64{4}, 2, 1, 0, 1), rnnTRand(r, 2, 2, 2, 1, 2), rnnTRand(r, 1, 2, 2, 3)}, []ir.Attr{ir.AInt("num_heads", 2), ir.AInt("unidirectional", 1)}},
		{ir.MSDomain, "Attention", 1, 2, []*ir.Tensor{rnnTRand(r, 1, 2, 4), rnnTRand(r, 4, 12), rnnTRand(r, 12), i32([]int64{1, 1, 3, 3}, 1, 1, 0, 1, 1, 1, 0, 0, 1), rnnTRand(r, 2, 1, 2, 3, 2), nil, i32(nil, 1)}, []ir.Attr{ir.AInt("num_heads", 2), ir.AInt("past_present_share_buffer", 1)}},
		{ir.MSDomain, "EmbedLayerNormalization", 1, 3, []*ir.Tensor{i32([]int64{1, 2}, 0, 3), i32([]int64{1, 2}, 1, 0), rnnTRand(r, 4, 3), rnnTRand(r, 2, 3), rnnTRand(r, 2, 3), rnnTRand(r, 3), rnnTRand(r, 3), i32([]int64{1, 2}, 1, 0), i32([]int64{1, 2}, 1, 0)}, nil},
		{ir.MSDomain, "SkipLayerNormalization", 1, 4, []*ir.Tensor{rnnTRand(r, 1, 2, 3), rnnTRand(r, 2, 3), rnnTRand(r, 3), rnnTRand(r, 3), rnnTRand(r, 3)}, nil},
		{ir.MSDomain, "FusedMatMul", 1, 1, []*ir.Tensor{rnnTRand(r, 2, 3, 4), rnnTRand(r, 3, 5, 4)}, []ir.Attr{ir.AInt("transBatchA", 1), ir.AInt("transB", 1)}},
		{ir.MSDomain, "DynamicQuantizeMatMul", 1, 1, []*ir.Tensor{rnnTRand(r, 2, 3), s8, ir.FromFloat32s([]int64{2}, []float32{0.1, 0.2}), ir.MustTensor(ir.Int8, 2), rnnTRand(r, 2)}, nil},
		{ir.MSDomain, "MatMulIntegerToFloat", 1, 1, []*ir.Tensor{u8, s8, ir.ScalarFloat32(0.1), ir.ScalarFloat32(0.2), ir.MustTensor(ir.Uint8), nil, rnnTRand(r, 2)}, nil},
	}
	extremes := []float64{math.NaN(), math.Inf(1), math.Inf(-1), -1, 0, 1e9, -1e9, 1 << 31, -(1 << 31), 1 << 62}
	for _, c := range cases {
		s := ir.MustOp(c.dom, c.op)
		n := &ir.Node{Op: c.op, Domain: c.dom}
		for _, a := range c.attrs {
			n.SetAttr(a)
		}
		for _, x := range c.in {
			if x != nil {
				n.Inputs = append(n.Inputs, &ir.Value{Name: "i"})
			} else {
				n.Inputs = append(n.Inputs, nil)
			}
		}
		for i := 0; i < c.nout; i++ {
			n.Outputs = append(n.Outputs, &ir.Value{Name: "o"})
		}
		run := func(in []ir.Datum) (err error) {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s panicked: %v", c.op, p)
				}
			}()
			_, err = s.Eval(sigTCtx{opset: c.opset}, n, in)
			return err
		}
		base := make([]ir.Datum, len(c.in))
		for i, x := range c.in {
			if x != nil {
				base[i] = x
			}
		}
		require.NoError(t, run(base), "%s on valid inputs", c.op)
		for iter := 0; iter < 300; iter++ {
			in := append([]ir.Datum{}, base...)
			i := r.Intn(len(c.in))
			if c.in[i] == nil || c.in[i].Len() == 0 {
				continue
			}
			x := c.in[i].Clone()
			v := F64s(x)
			v[r.Intn(len(v))] = extremes[r.Intn(len(extremes))]
			SetF64s(x, v)
			in[i] = x
			_ = run(in)
		}
	}
}
