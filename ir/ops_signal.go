package ir

import "fmt"

// Signal-processing ops (DFT, STFT, windows, mel filter bank) and vision utilities (GridSample,
// AffineGrid, RoiAlign, NonMaxSuppression).

// signalScalarConst returns constant input i as a single int64 (scalar or one-element tensor).
func signalScalarConst(c *InferContext, i int) (int64, bool) {
	v, ok := c.ConstInt64s(i)
	if !ok || len(v) != 1 {
		return 0, false
	}
	return v[0], true
}

// signalDTypeAttr maps an output_datatype attribute (an ONNX TensorProto data type code) to a
// DType, accepting only the numeric types the window and mel ops allow.
func signalDTypeAttr(n *Node) (DType, error) {
	code := n.AttrInt("output_datatype", int64(Float32))
	dt := DType(code)
	if code < 0 || code > int64(maxDType) || !(dt.IsFloat() || dt.IsInt()) {
		return Undefined, fmt.Errorf("output_datatype %d is not a numeric element type", code)
	}
	return dt, nil
}

// inferDFT: output = input with the transformed axis resized (dft_length, or n/2+1 when
// onesided) and the trailing component axis set to 2 (complex).
func inferDFT(c *InferContext) ([]Type, error) {
	n := c.Node
	dt := c.In[0].DType
	xs, ok := c.RankedIn(0)
	if !ok {
		return []Type{UnrankedTensor(dt)}, nil
	}
	r := len(xs)
	if r < 2 {
		return nil, fmt.Errorf("input must have rank >= 2 (signal axes plus a trailing component axis), got %s", xs)
	}
	if last := xs[r-1]; last.IsConcrete() && last.Value != 1 && last.Value != 2 {
		return nil, fmt.Errorf("input's last dim is %d, want 1 (real) or 2 (complex)", last.Value)
	}
	var axis int64
	if c.Opset >= 20 {
		axis = -2
		if c.HasInput(2) {
			a, ok := signalScalarConst(c, 2)
			if !ok {
				out := make(Shape, r)
				for i := range out {
					out[i] = UnknownDim()
				}
				out[0], out[r-1] = xs[0], D(2)
				return []Type{TensorType(dt, out)}, nil
			}
			axis = a
		}
	} else {
		axis = n.AttrInt("axis", 1)
	}
	ax, err := NormalizeAxis(axis, r)
	if err != nil {
		return nil, err
	}
	if ax == r-1 {
		return nil, fmt.Errorf("axis %d is the component axis; the DFT axis must be one of the first %d", axis, r-1)
	}
	out := xs.Clone()
	out[r-1] = D(2)
	length := xs[ax]
	if c.HasInput(1) {
		if l, ok := signalScalarConst(c, 1); ok {
			if l <= 0 {
				return nil, fmt.Errorf("dft_length %d must be positive", l)
			}
			length = D(l)
		} else {
			length = UnknownDim()
		}
	}
	if n.AttrInt("onesided", 0) != 0 {
		if length.IsConcrete() {
			length = D(length.Value/2 + 1)
		} else {
			length = UnknownDim()
		}
	}
	out[ax] = length
	return []Type{TensorType(dt, out)}, nil
}

// inferSTFT: [batch, signal_length, 1|2] -> [batch, frames, bins, 2].
func inferSTFT(c *InferContext) ([]Type, error) {
	dt := c.In[0].DType
	batch, sigLen := UnknownDim(), UnknownDim()
	if xs, ok := c.RankedIn(0); ok {
		if len(xs) != 3 {
			return nil, fmt.Errorf("signal must have rank 3 [batch, length, 1|2], got %s", xs)
		}
		if xs[2].IsConcrete() && xs[2].Value != 1 && xs[2].Value != 2 {
			return nil, fmt.Errorf("signal's last dim is %d, want 1 (real) or 2 (complex)", xs[2].Value)
		}
		batch, sigLen = xs[0], xs[1]
	}
	frameLen := UnknownDim()
	if c.HasInput(3) {
		if l, ok := signalScalarConst(c, 3); ok {
			if l <= 0 {
				return nil, fmt.Errorf("frame_length %d must be positive", l)
			}
			frameLen = D(l)
		}
	} else if ws, ok := c.RankedIn(2); ok && c.HasInput(2) {
		if len(ws) != 1 {
			return nil, fmt.Errorf("window must have rank 1, got %s", ws)
		}
		frameLen = ws[0]
	}
	frames := UnknownDim()
	if step, ok := signalScalarConst(c, 1); ok {
		if step <= 0 {
			return nil, fmt.Errorf("frame_step %d must be positive", step)
		}
		if sigLen.IsConcrete() && frameLen.IsConcrete() {
			if frameLen.Value > sigLen.Value {
				return nil, fmt.Errorf("frame_length %d exceeds the signal length %d", frameLen.Value, sigLen.Value)
			}
			frames = D((sigLen.Value-frameLen.Value)/step + 1)
		}
	}
	bins := frameLen
	if c.Node.AttrInt("onesided", 1) != 0 {
		bins = UnknownDim()
		if frameLen.IsConcrete() {
			bins = D(frameLen.Value/2 + 1)
		}
	}
	return []Type{TensorType(dt, Shape{batch, frames, bins, D(2)})}, nil
}

// inferWindow: a scalar size -> a vector of that size in output_datatype.
func inferWindow(c *InferContext) ([]Type, error) {
	dt, err := signalDTypeAttr(c.Node)
	if err != nil {
		return nil, err
	}
	if s, ok := c.RankedIn(0); ok && len(s) > 1 {
		return nil, fmt.Errorf("size must be a scalar, got shape %s", s)
	}
	if v, ok := signalScalarConst(c, 0); ok {
		if v < 0 {
			return nil, fmt.Errorf("window size %d is negative", v)
		}
		return []Type{TensorType(dt, Shape{D(v)})}, nil
	}
	return []Type{TensorType(dt, Shape{UnknownDim()})}, nil
}

// inferMelWeightMatrix: [dft_length/2+1, num_mel_bins].
func inferMelWeightMatrix(c *InferContext) ([]Type, error) {
	dt, err := signalDTypeAttr(c.Node)
	if err != nil {
		return nil, err
	}
	rows, cols := UnknownDim(), UnknownDim()
	if v, ok := signalScalarConst(c, 0); ok {
		if v <= 0 {
			return nil, fmt.Errorf("num_mel_bins %d must be positive", v)
		}
		cols = D(v)
	}
	if v, ok := signalScalarConst(c, 1); ok {
		if v <= 0 {
			return nil, fmt.Errorf("dft_length %d must be positive", v)
		}
		rows = D(v/2 + 1)
	}
	return []Type{TensorType(dt, Shape{rows, cols})}, nil
}

// inferGridSample: X [N, C, D1..Dr], grid [N, O1..Or, r] -> [N, C, O1..Or].
func inferGridSample(c *InferContext) ([]Type, error) {
	dt := c.In[0].DType
	xs, xok := c.RankedIn(0)
	gs, gok := c.RankedIn(1)
	if xok && len(xs) < 3 {
		return nil, fmt.Errorf("X must have rank >= 3 [N, C, spatial...], got %s", xs)
	}
	if gok && len(gs) < 3 {
		return nil, fmt.Errorf("grid must have rank >= 3 [N, spatial..., r], got %s", gs)
	}
	if xok && gok {
		if len(xs) != len(gs) {
			return nil, fmt.Errorf("X %s and grid %s must have the same rank", xs, gs)
		}
		if last := gs[len(gs)-1]; last.IsConcrete() && last.Value != int64(len(xs)-2) {
			return nil, fmt.Errorf("grid's last dim is %d, want %d (the number of spatial axes)", last.Value, len(xs)-2)
		}
		if xs[0].IsConcrete() && gs[0].IsConcrete() && xs[0].Value != gs[0].Value {
			return nil, fmt.Errorf("X batch %d differs from grid batch %d", xs[0].Value, gs[0].Value)
		}
	}
	if c.Opset < 20 && xok && len(xs) != 4 {
		return nil, fmt.Errorf("GridSample-16 takes 4-D X, got %s", xs)
	}
	if !xok && !gok {
		return []Type{UnrankedTensor(dt)}, nil
	}
	var out Shape
	switch {
	case gok:
		out = make(Shape, len(gs))
		out[0] = gs[0]
		if xok && !gs[0].IsConcrete() {
			out[0] = xs[0]
		}
		out[1] = UnknownDim()
		if xok {
			out[1] = xs[1]
		}
		copy(out[2:], gs[1:len(gs)-1])
	default:
		out = make(Shape, len(xs))
		for i := range out {
			out[i] = UnknownDim()
		}
		out[0], out[1] = xs[0], xs[1]
	}
	return []Type{TensorType(dt, out)}, nil
}

// inferAffineGrid: theta [N, 2, 3] or [N, 3, 4], size [N, C, H, W] or [N, C, D, H, W] ->
// grid [N, H, W, 2] or [N, D, H, W, 3].
func inferAffineGrid(c *InferContext) ([]Type, error) {
	dt := c.In[0].DType
	nd := -1
	batch := UnknownDim()
	if ts, ok := c.RankedIn(0); ok {
		if len(ts) != 3 {
			return nil, fmt.Errorf("theta must have rank 3, got %s", ts)
		}
		batch = ts[0]
		if ts[1].IsConcrete() {
			if ts[1].Value != 2 && ts[1].Value != 3 {
				return nil, fmt.Errorf("theta %s must be [N,2,3] or [N,3,4]", ts)
			}
			nd = int(ts[1].Value)
		}
	}
	if ss, ok := c.RankedIn(1); ok {
		if len(ss) != 1 {
			return nil, fmt.Errorf("size must be a vector, got shape %s", ss)
		}
		if ss[0].IsConcrete() {
			if ss[0].Value != 4 && ss[0].Value != 5 {
				return nil, fmt.Errorf("size has %d elements, want 4 or 5", ss[0].Value)
			}
			if nd > 0 && int64(nd+2) != ss[0].Value {
				return nil, fmt.Errorf("theta is for %d-D but size has %d elements", nd, ss[0].Value)
			}
			nd = int(ss[0].Value) - 2
		}
	}
	if size, ok := c.ConstInt64s(1); ok {
		if len(size) != 4 && len(size) != 5 {
			return nil, fmt.Errorf("size has %d elements, want 4 or 5", len(size))
		}
		out := Shape{D(size[0])}
		for _, v := range size[2:] {
			if v < 0 {
				return nil, fmt.Errorf("size %v has a negative dim", size)
			}
			out = append(out, D(v))
		}
		return []Type{TensorType(dt, append(out, D(int64(len(size)-2))))}, nil
	}
	if nd < 0 {
		return []Type{UnrankedTensor(dt)}, nil
	}
	out := Shape{batch}
	for i := 0; i < nd; i++ {
		out = append(out, UnknownDim())
	}
	return []Type{TensorType(dt, append(out, D(int64(nd))))}, nil
}

// inferRoiAlign: X [N, C, H, W], rois [R, 4], batch_indices [R] -> [R, C, oh, ow].
func inferRoiAlign(c *InferContext) ([]Type, error) {
	n := c.Node
	dt := c.In[0].DType
	ch, rois := UnknownDim(), UnknownDim()
	if xs, ok := c.RankedIn(0); ok {
		if len(xs) != 4 {
			return nil, fmt.Errorf("X must have rank 4 [N,C,H,W], got %s", xs)
		}
		ch = xs[1]
	}
	if rs, ok := c.RankedIn(1); ok {
		if len(rs) != 2 || (rs[1].IsConcrete() && rs[1].Value != 4) {
			return nil, fmt.Errorf("rois must have shape [num_rois, 4], got %s", rs)
		}
		rois = rs[0]
	}
	if bs, ok := c.RankedIn(2); ok {
		if len(bs) != 1 {
			return nil, fmt.Errorf("batch_indices must have rank 1, got %s", bs)
		}
		if rois.IsConcrete() && bs[0].IsConcrete() && rois.Value != bs[0].Value {
			return nil, fmt.Errorf("rois has %d rows but batch_indices has %d", rois.Value, bs[0].Value)
		}
		if !rois.IsConcrete() && !rois.IsSymbolic() {
			rois = bs[0]
		}
	}
	oh, ow := n.AttrInt("output_height", 1), n.AttrInt("output_width", 1)
	if oh <= 0 || ow <= 0 {
		return nil, fmt.Errorf("output_height %d and output_width %d must be positive", oh, ow)
	}
	switch m := n.AttrString("mode", "avg"); m {
	case "avg", "max":
	default:
		return nil, fmt.Errorf("mode %q is not avg or max", m)
	}
	return []Type{TensorType(dt, Shape{rois, ch, D(oh), D(ow)})}, nil
}

// inferNonMaxSuppression: selected_indices [num_selected, 3] of (batch, class, box).
func inferNonMaxSuppression(c *InferContext) ([]Type, error) {
	if bs, ok := c.RankedIn(0); ok && (len(bs) != 3 || (bs[2].IsConcrete() && bs[2].Value != 4)) {
		return nil, fmt.Errorf("boxes must have shape [batch, spatial, 4], got %s", bs)
	}
	if ss, ok := c.RankedIn(1); ok && len(ss) != 3 {
		return nil, fmt.Errorf("scores must have shape [batch, classes, spatial], got %s", ss)
	}
	if cpb := c.Node.AttrInt("center_point_box", 0); cpb != 0 && cpb != 1 {
		return nil, fmt.Errorf("center_point_box %d is not 0 or 1", cpb)
	}
	return []Type{TensorType(Int64, Shape{UnknownDim(), D(3)})}, nil
}

func init() {
	RegisterOp(&OpSchema{Name: "DFT", Since: 17, Category: "math",
		Doc:   "discrete Fourier transform (or its inverse) of a real or complex signal along one axis",
		MinIn: 1, MaxIn: 3, MinOut: 1, MaxOut: 1,
		// axis is an attribute at opset 17 and input 2 from opset 20
		Attrs: []AttrSpec{opt("axis", AttrInt), optInt("inverse", 0), optInt("onesided", 0)},
		Infer: inferDFT})
	RegisterOp(&OpSchema{Name: "STFT", Since: 17, Category: "math",
		Doc:   "short-time Fourier transform: DFT of windowed frames taken every frame_step samples",
		MinIn: 2, MaxIn: 4, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("onesided", 1)},
		Infer: inferSTFT})
	for _, w := range []struct{ name, doc string }{
		{"HannWindow", "Hann window of the given size: 0.5 - 0.5 cos(2 pi n / N)"},
		{"HammingWindow", "Hamming window of the given size: 25/46 - 21/46 cos(2 pi n / N)"},
		{"BlackmanWindow", "Blackman window of the given size: 0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N)"},
	} {
		RegisterOp(&OpSchema{Name: w.name, Since: 17, Category: "math",
			Doc:   w.doc + " (N = size if periodic else size-1)",
			MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
			Attrs: []AttrSpec{optInt("output_datatype", int64(Float32)), optInt("periodic", 1)},
			Infer: inferWindow})
	}
	RegisterOp(&OpSchema{Name: "MelWeightMatrix", Since: 17, Category: "math",
		Doc:   "triangular mel filter bank mapping dft_length/2+1 linear frequency bins to num_mel_bins mel bins",
		MinIn: 5, MaxIn: 5, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("output_datatype", int64(Float32))},
		Infer: inferMelWeightMatrix})
	RegisterOp(&OpSchema{Name: "GridSample", Since: 16, Category: "nn",
		Doc:   "samples X at the normalized coordinates of grid (nearest, bilinear or bicubic interpolation)",
		MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		// mode is bilinear|nearest|bicubic at 16 and linear|nearest|cubic from 20
		Attrs: []AttrSpec{optInt("align_corners", 0), opt("mode", AttrString), optString("padding_mode", "zeros")},
		Infer: inferGridSample})
	RegisterOp(&OpSchema{Name: "AffineGrid", Since: 20, Category: "nn",
		Doc:   "sampling grid (for GridSample) of the affine transforms theta over an output of the given size",
		MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("align_corners", 0)},
		Infer: inferAffineGrid})
	RegisterOp(&OpSchema{Name: "RoiAlign", Since: 10, Category: "nn",
		Doc:   "pools each region of interest of X to output_height x output_width by averaging (or max of) bilinear samples",
		MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
		// coordinate_transformation_mode exists from 16 (default half_pixel); opset 10 behaves as output_half_pixel
		Attrs: []AttrSpec{opt("coordinate_transformation_mode", AttrString), optString("mode", "avg"),
			optInt("output_height", 1), optInt("output_width", 1), optInt("sampling_ratio", 0),
			optFloat("spatial_scale", 1)},
		Infer: inferRoiAlign})
	RegisterOp(&OpSchema{Name: "NonMaxSuppression", Since: 10, Category: "nn",
		Doc:   "greedy per-batch, per-class selection of boxes by descending score, dropping boxes overlapping a selected one by more than iou_threshold",
		MinIn: 2, MaxIn: 5, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("center_point_box", 0)},
		Infer: inferNonMaxSuppression})
}
