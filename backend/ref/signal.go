package ref

import (
	"fmt"
	"math"
	"sort"

	"github.com/llmc/llmc/ir"
)

// Reference evaluation of the signal-processing ops: DFT, STFT, the window functions and
// MelWeightMatrix. Transforms are computed as direct sums in float64 (twiddles from one table).

func init() {
	SetEval("", "DFT", evalDFT)
	SetEval("", "STFT", evalSTFT)
	SetEval("", "HannWindow", evalWindow(func(k, n float64) float64 {
		return 0.5 - 0.5*math.Cos(2*math.Pi*k/n)
	}))
	SetEval("", "HammingWindow", evalWindow(func(k, n float64) float64 {
		return 25.0/46 - 21.0/46*math.Cos(2*math.Pi*k/n)
	}))
	SetEval("", "BlackmanWindow", evalWindow(func(k, n float64) float64 {
		return 0.42 - 0.5*math.Cos(2*math.Pi*k/n) + 0.08*math.Cos(4*math.Pi*k/n)
	}))
	SetEval("", "MelWeightMatrix", evalMelWeightMatrix)
}

// signalFloatDType reports whether dt is a float type the signal ops compute in.
func signalFloatDType(dt ir.DType) bool {
	switch dt {
	case ir.Float32, ir.Float64, ir.Float16, ir.BFloat16:
		return true
	}
	return false
}

// signalNewTensor is ctx.NewTensor refusing element counts over 2^56 first, so that no byte size
// computed from a model-controlled dim can overflow (ir.ByteSize multiplies the count by the
// element's bits).
func signalNewTensor(ctx ir.EvalContext, dt ir.DType, shape []int64) (*ir.Tensor, error) {
	n, err := ir.NumElements(shape)
	if err != nil {
		return nil, err
	}
	if n > 1<<56 {
		return nil, fmt.Errorf("%w: shape %v has %d elements", ErrMemoryLimit, shape, n)
	}
	return ctx.NewTensor(dt, shape)
}

// signalOutDType returns the output_datatype attribute when it is a type SetF64s can store.
func signalOutDType(n *ir.Node) (ir.DType, error) {
	code := n.AttrInt("output_datatype", int64(ir.Float32))
	dt := ir.DType(code)
	switch dt {
	case ir.Float32, ir.Float64, ir.Float16, ir.BFloat16, ir.Int8, ir.Uint8, ir.Int16, ir.Uint16,
		ir.Int32, ir.Uint32, ir.Int64, ir.Uint64:
		return dt, nil
	}
	return ir.Undefined, Unsupportedf("output_datatype %d", code)
}

// signalScalarInt reads a one-element integer tensor (a scalar input such as a size or a step).
func signalScalarInt(t *ir.Tensor, what string) (int64, error) {
	if t == nil {
		return 0, fmt.Errorf("%s is missing", what)
	}
	if !t.DType.IsInt() {
		return 0, fmt.Errorf("%s must be an integer tensor, got %s", what, t.DType)
	}
	if t.Len() != 1 {
		return 0, fmt.Errorf("%s must be a scalar, got shape %v", what, t.Shape)
	}
	return t.Int64At(0), nil
}

// signalScalarFloat reads a one-element numeric tensor as float64.
func signalScalarFloat(t *ir.Tensor, what string) (float64, error) {
	if t == nil {
		return 0, fmt.Errorf("%s is missing", what)
	}
	if t.Len() != 1 || t.DType == ir.String {
		return 0, fmt.Errorf("%s must be a numeric scalar, got %s%v", what, t.DType, t.Shape)
	}
	return t.Float64At(0), nil
}

// signalTwiddles returns cos and sin of 2*pi*m/n for m in [0, n): the DFT's twiddle factors,
// indexed by (j*k) mod n so that every angle stays small and exact to compute.
func signalTwiddles(n int) (cos, sin []float64) {
	cos, sin = make([]float64, n), make([]float64, n)
	for m := range cos {
		ang := 2 * math.Pi * float64(m) / float64(n)
		cos[m], sin[m] = math.Cos(ang), math.Sin(ang)
	}
	return cos, sin
}

// signalDFT computes the length-n DFT of the complex sequence (re, im) (zero padded or
// truncated to n points, n = len(cos)), writing the first len(outRe) bins. inverse uses e^{+i}
// and scales by 1/n. Sums are accumulated in float64.
func signalDFT(re, im []float64, cos, sin []float64, inverse bool, outRe, outIm []float64) {
	n := len(cos)
	sign := -1.0
	if inverse {
		sign = 1
	}
	m := min(len(re), n)
	for k := range outRe {
		var sr, si float64
		idx := 0 // (j*k) mod n
		for j := 0; j < m; j++ {
			c, s := cos[idx], sign*sin[idx]
			sr += re[j]*c - im[j]*s
			si += re[j]*s + im[j]*c
			idx += k
			if idx >= n {
				idx %= n
			}
		}
		if inverse {
			sr /= float64(n)
			si /= float64(n)
		}
		outRe[k], outIm[k] = sr, si
	}
}

// evalDFT implements DFT-17 (axis attribute) and DFT-20 (axis input, default -2).
func evalDFT(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	if !signalFloatDType(x.DType) {
		return nil, Unsupportedf("DFT of %s", x.DType)
	}
	r := len(x.Shape)
	if r < 2 || (x.Shape[r-1] != 1 && x.Shape[r-1] != 2) {
		return nil, fmt.Errorf("input shape %v must be [..., 1|2] with rank >= 2", x.Shape)
	}
	var axis int64 = 1
	if ctx.Opset() >= 20 {
		axis = -2
		if len(in) > 2 && in[2] != nil {
			a, err := signalScalarInt(in[2], "axis")
			if err != nil {
				return nil, err
			}
			axis = a
		}
	} else {
		axis = n.AttrInt("axis", 1)
	}
	ax, err := ir.NormalizeAxis(axis, r)
	if err != nil {
		return nil, err
	}
	if ax == r-1 {
		return nil, fmt.Errorf("axis %d is the component axis", axis)
	}
	length := x.Shape[ax]
	if len(in) > 1 && in[1] != nil {
		l, err := signalScalarInt(in[1], "dft_length")
		if err != nil {
			return nil, err
		}
		if l <= 0 {
			return nil, fmt.Errorf("dft_length %d must be positive", l)
		}
		length = l
	}
	inverse := n.AttrInt("inverse", 0) != 0
	onesided := n.AttrInt("onesided", 0) != 0
	if onesided && inverse {
		return nil, Unsupportedf("DFT with both onesided and inverse set")
	}
	if onesided && x.Shape[r-1] == 2 {
		return nil, fmt.Errorf("onesided DFT needs a real input (last dim 1), got %v", x.Shape)
	}
	bins := length
	if onesided {
		bins = length/2 + 1
	}
	outShape := append([]int64{}, x.Shape...)
	outShape[ax] = bins
	outShape[r-1] = 2
	out, err := signalNewTensor(ctx, x.DType, outShape)
	if err != nil {
		return nil, err
	}
	if length == 0 || out.Len() == 0 {
		return []*ir.Tensor{out}, nil
	}
	xs := F64s(x)
	ys := make([]float64, out.Len())
	comp := int(x.Shape[r-1])
	// outer = product of dims before ax, inner = product of dims between ax and the component axis
	outer, inner := 1, 1
	for i := 0; i < ax; i++ {
		outer *= int(x.Shape[i])
	}
	for i := ax + 1; i < r-1; i++ {
		inner *= int(x.Shape[i])
	}
	nIn := int(x.Shape[ax])
	re, im := make([]float64, nIn), make([]float64, nIn)
	ore, oim := make([]float64, bins), make([]float64, bins)
	tc, ts := signalTwiddles(int(length))
	for o := 0; o < outer; o++ {
		for q := 0; q < inner; q++ {
			for j := 0; j < nIn; j++ {
				base := ((o*nIn+j)*inner + q) * comp
				re[j] = xs[base]
				im[j] = 0
				if comp == 2 {
					im[j] = xs[base+1]
				}
			}
			signalDFT(re, im, tc, ts, inverse, ore, oim)
			for k := 0; k < int(bins); k++ {
				base := ((o*int(bins)+k)*inner + q) * 2
				ys[base], ys[base+1] = ore[k], oim[k]
			}
		}
	}
	SetF64s(out, ys)
	return []*ir.Tensor{out}, nil
}

// evalSTFT: frames of frame_length samples every frame_step, multiplied by the window, each
// transformed by a DFT of frame_length points.
func evalSTFT(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	if !signalFloatDType(x.DType) {
		return nil, Unsupportedf("STFT of %s", x.DType)
	}
	if len(x.Shape) != 3 || (x.Shape[2] != 1 && x.Shape[2] != 2) {
		return nil, fmt.Errorf("signal shape %v must be [batch, length, 1|2]", x.Shape)
	}
	step, err := signalScalarInt(in[1], "frame_step")
	if err != nil {
		return nil, err
	}
	if step <= 0 {
		return nil, fmt.Errorf("frame_step %d must be positive", step)
	}
	var window []float64
	frameLen := int64(-1)
	if len(in) > 2 && in[2] != nil {
		if len(in[2].Shape) != 1 {
			return nil, fmt.Errorf("window must be 1-D, got shape %v", in[2].Shape)
		}
		window = F64s(in[2])
		frameLen = in[2].Shape[0]
	}
	if len(in) > 3 && in[3] != nil {
		fl, err := signalScalarInt(in[3], "frame_length")
		if err != nil {
			return nil, err
		}
		if window != nil && fl != frameLen {
			return nil, fmt.Errorf("frame_length %d differs from the window length %d", fl, frameLen)
		}
		frameLen = fl
	}
	if frameLen <= 0 {
		return nil, fmt.Errorf("frame length unknown or not positive (give window or frame_length)")
	}
	batch, sigLen, comp := x.Shape[0], x.Shape[1], int(x.Shape[2])
	if frameLen > sigLen {
		return nil, fmt.Errorf("frame_length %d exceeds the signal length %d", frameLen, sigLen)
	}
	onesided := n.AttrInt("onesided", 1) != 0
	if onesided && comp == 2 {
		return nil, fmt.Errorf("onesided STFT needs a real signal (last dim 1)")
	}
	frames := (sigLen-frameLen)/step + 1
	bins := frameLen
	if onesided {
		bins = frameLen/2 + 1
	}
	out, err := signalNewTensor(ctx, x.DType, []int64{batch, frames, bins, 2})
	if err != nil {
		return nil, err
	}
	xs := F64s(x)
	ys := make([]float64, out.Len())
	fl := int(frameLen)
	re, im := make([]float64, fl), make([]float64, fl)
	ore, oim := make([]float64, bins), make([]float64, bins)
	tc, ts := signalTwiddles(fl)
	for b := 0; b < int(batch); b++ {
		for f := 0; f < int(frames); f++ {
			start := f * int(step)
			for j := 0; j < fl; j++ {
				w := 1.0
				if window != nil {
					w = window[j]
				}
				base := (b*int(sigLen) + start + j) * comp
				re[j] = xs[base] * w
				im[j] = 0
				if comp == 2 {
					im[j] = xs[base+1] * w
				}
			}
			signalDFT(re, im, tc, ts, false, ore, oim)
			for k := 0; k < int(bins); k++ {
				base := ((b*int(frames)+f)*int(bins) + k) * 2
				ys[base], ys[base+1] = ore[k], oim[k]
			}
		}
	}
	SetF64s(out, ys)
	return []*ir.Tensor{out}, nil
}

// evalWindow returns the hook of a cosine-sum window w(k, N) for k in [0, size), with N = size
// when periodic and size-1 when symmetric.
func evalWindow(w func(k, n float64) float64) func(ir.EvalContext, *ir.Node, []*ir.Tensor) ([]*ir.Tensor, error) {
	return func(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
		size, err := signalScalarInt(in[0], "size")
		if err != nil {
			return nil, err
		}
		if size < 0 {
			return nil, fmt.Errorf("window size %d is negative", size)
		}
		dt, err := signalOutDType(n)
		if err != nil {
			return nil, err
		}
		out, err := signalNewTensor(ctx, dt, []int64{size})
		if err != nil {
			return nil, err
		}
		N := float64(size)
		if n.AttrInt("periodic", 1) == 0 {
			N = float64(size - 1)
		}
		vals := make([]float64, size)
		for k := range vals {
			if N == 0 {
				vals[k] = 1 // a one-point symmetric window
				continue
			}
			vals[k] = w(float64(k), N)
		}
		SetF64s(out, vals)
		return []*ir.Tensor{out}, nil
	}
}

// evalMelWeightMatrix builds the triangular filter bank of the ONNX specification: num_mel_bins+2
// points equally spaced in mel between the edges, mapped to (integer) linear-frequency bins.
func evalMelWeightMatrix(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	numMel, err := signalScalarInt(in[0], "num_mel_bins")
	if err != nil {
		return nil, err
	}
	dftLen, err := signalScalarInt(in[1], "dft_length")
	if err != nil {
		return nil, err
	}
	rate, err := signalScalarInt(in[2], "sample_rate")
	if err != nil {
		return nil, err
	}
	lo, err := signalScalarFloat(in[3], "lower_edge_hertz")
	if err != nil {
		return nil, err
	}
	hi, err := signalScalarFloat(in[4], "upper_edge_hertz")
	if err != nil {
		return nil, err
	}
	if numMel <= 0 || dftLen <= 0 || rate <= 0 {
		return nil, fmt.Errorf("num_mel_bins %d, dft_length %d and sample_rate %d must be positive", numMel, dftLen, rate)
	}
	dt, err := signalOutDType(n)
	if err != nil {
		return nil, err
	}
	rows := dftLen/2 + 1
	out, err := signalNewTensor(ctx, dt, []int64{rows, numMel})
	if err != nil {
		return nil, err
	}
	toMel := func(hz float64) float64 { return 2595 * math.Log10(1+hz/700) }
	loMel, hiMel := toMel(lo), toMel(hi)
	points := int(numMel) + 2
	step := (hiMel - loMel) / float64(points)
	bin := make([]int64, points)
	for i := range bin {
		hz := 700 * (math.Pow(10, (float64(i)*step+loMel)/2595) - 1)
		bin[i] = int64(math.Floor(float64(dftLen+1) * hz / float64(rate)))
		if bin[i] < 0 || bin[i] >= rows {
			return nil, fmt.Errorf("mel point %d falls in linear bin %d, outside [0, %d): check the edge frequencies", i, bin[i], rows)
		}
	}
	vals := make([]float64, out.Len())
	at := func(r, c int64) *float64 { return &vals[r*numMel+c] }
	for i := int64(0); i < numMel; i++ {
		l, c, h := bin[i], bin[i+1], bin[i+2]
		if c == l {
			*at(c, i) = 1
		} else {
			for j := l; j <= c; j++ {
				*at(j, i) = float64(j-l) / float64(c-l)
			}
		}
		for j := c; j < h; j++ {
			*at(j, i) = float64(h-j) / float64(h-c)
		}
	}
	SetF64s(out, vals)
	return []*ir.Tensor{out}, nil
}

// Vision utilities: GridSample, AffineGrid, RoiAlign and NonMaxSuppression.

func init() {
	SetEval("", "GridSample", evalGridSample)
	SetEval("", "AffineGrid", evalAffineGrid)
	SetEval("", "RoiAlign", evalRoiAlign)
	SetEval("", "NonMaxSuppression", evalNonMaxSuppression)
}

// gridSampler reads one [spatial...] plane of X with GridSample's padding rules.
type gridSampler struct {
	data    []float64 // one (n, c) plane, row-major over dims
	dims    []int     // spatial sizes (D, H, W order)
	strides []int
	padding string
	lo, hi  []float64 // per-axis borders of the valid coordinate range
}

// gridReflect folds x into [lo, hi] by reflecting at the borders.
func gridReflect(x, lo, hi float64) float64 {
	rng := hi - lo
	if rng <= 0 {
		return lo
	}
	switch {
	case x < lo:
		dx := lo - x
		k := math.Floor(dx / rng)
		r := dx - k*rng
		if int64(k)%2 == 0 {
			return lo + r
		}
		return hi - r
	case x > hi:
		dx := x - hi
		k := math.Floor(dx / rng)
		r := dx - k*rng
		if int64(k)%2 == 0 {
			return hi - r
		}
		return lo + r
	}
	return x
}

// at returns the value at integer index idx (per axis), applying the padding mode to indices
// outside the plane.
func (s *gridSampler) at(idx []int) float64 {
	off := 0
	for a, i := range idx {
		if i < 0 || i >= s.dims[a] {
			switch s.padding {
			case "zeros":
				return 0
			case "border":
				i = min(max(i, 0), s.dims[a]-1)
			default: // reflection
				i = int(gridReflect(float64(i), s.lo[a], s.hi[a]))
				i = min(max(i, 0), s.dims[a]-1)
			}
		}
		off += i * s.strides[a]
	}
	return s.data[off]
}

// gridCubicCoeffs are the cubic convolution weights (alpha = -0.75) of the 4 taps around a point
// at fractional offset t from the second tap.
func gridCubicCoeffs(t float64) [4]float64 {
	const a = -0.75
	x := math.Abs(t)
	return [4]float64{
		((a*(x+1)-5*a)*(x+1)+8*a)*(x+1) - 4*a,
		((a+2)*x-(a+3))*x*x + 1,
		((a+2)*(1-x)-(a+3))*(1-x)*(1-x) + 1,
		((a*(2-x)-5*a)*(2-x)+8*a)*(2-x) - 4*a,
	}
}

// evalGridSample: Y[n, c, o...] = X[n, c] interpolated at the denormalized grid[n, o...] point
// (grid's last axis lists coordinates innermost first: x = width, y = height, z = depth).
func evalGridSample(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, grid := in[0], in[1]
	if !signalFloatDType(x.DType) || !signalFloatDType(grid.DType) {
		return nil, Unsupportedf("GridSample of %s with a %s grid", x.DType, grid.DType)
	}
	r := len(x.Shape) - 2
	if r < 1 || len(grid.Shape) != r+2 || grid.Shape[r+1] != int64(r) || grid.Shape[0] != x.Shape[0] {
		return nil, fmt.Errorf("X %v and grid %v must be [N, C, D1..Dr] and [N, O1..Or, r]", x.Shape, grid.Shape)
	}
	mode := n.AttrString("mode", "")
	switch mode {
	case "", "bilinear", "linear":
		mode = "linear"
	case "bicubic", "cubic":
		mode = "cubic"
	case "nearest":
	default:
		return nil, fmt.Errorf("mode %q is not bilinear/linear, nearest or bicubic/cubic", mode)
	}
	padding := n.AttrString("padding_mode", "zeros")
	if padding != "zeros" && padding != "border" && padding != "reflection" {
		return nil, fmt.Errorf("padding_mode %q is not zeros, border or reflection", padding)
	}
	align := n.AttrInt("align_corners", 0) != 0
	N, C := int(x.Shape[0]), int(x.Shape[1])
	outShape := append([]int64{x.Shape[0], x.Shape[1]}, grid.Shape[1:r+1]...)
	out, err := signalNewTensor(ctx, x.DType, outShape)
	if err != nil {
		return nil, err
	}
	dims := make([]int, r)
	plane := 1
	for i := range dims {
		dims[i] = int(x.Shape[2+i])
		plane *= dims[i]
	}
	outPlane := 1
	for _, d := range grid.Shape[1 : r+1] {
		outPlane *= int(d)
	}
	s := &gridSampler{dims: dims, strides: make([]int, r), padding: padding, lo: make([]float64, r), hi: make([]float64, r)}
	for i := r - 1; i >= 0; i-- {
		if i == r-1 {
			s.strides[i] = 1
		} else {
			s.strides[i] = s.strides[i+1] * dims[i+1]
		}
		if align {
			s.lo[i], s.hi[i] = 0, float64(dims[i]-1)
		} else {
			s.lo[i], s.hi[i] = -0.5, float64(dims[i])-0.5
		}
	}
	xs, gs := F64s(x), F64s(grid)
	ys := make([]float64, out.Len())
	coord := make([]float64, r)
	idx := make([]int, r)
	for b := 0; b < N; b++ {
		for o := 0; o < outPlane; o++ {
			g := gs[(b*outPlane+o)*r : (b*outPlane+o+1)*r]
			for a := 0; a < r; a++ {
				v := g[r-1-a] // grid lists x (last axis) first
				size := float64(dims[a])
				if align {
					v = (v + 1) / 2 * (size - 1)
				} else {
					v = ((v+1)*size - 1) / 2
				}
				if mode == "nearest" {
					v = math.RoundToEven(v)
				}
				if v < s.lo[a] || v > s.hi[a] {
					switch padding {
					case "border":
						v = math.Max(0, math.Min(v, size-1))
					case "reflection":
						v = gridReflect(v, s.lo[a], s.hi[a])
					}
				}
				coord[a] = v
			}
			for c := 0; c < C; c++ {
				s.data = xs[(b*C+c)*plane : (b*C+c+1)*plane]
				var val float64
				switch mode {
				case "nearest":
					for a := range idx {
						idx[a] = int(math.RoundToEven(coord[a]))
					}
					val = s.at(idx)
				case "linear":
					// sum over the 2^r corners of the cell holding the point
					for corner := 0; corner < 1<<r; corner++ {
						w := 1.0
						for a := 0; a < r; a++ {
							f := math.Floor(coord[a])
							t := coord[a] - f
							if corner>>a&1 == 1 {
								idx[a] = int(f) + 1
								w *= t
							} else {
								idx[a] = int(f)
								w *= 1 - t
							}
						}
						if w != 0 {
							val += w * s.at(idx)
						}
					}
				case "cubic":
					coeffs := make([][4]float64, r)
					base := make([]int, r)
					for a := 0; a < r; a++ {
						f := math.Floor(coord[a])
						coeffs[a] = gridCubicCoeffs(coord[a] - f)
						base[a] = int(f) - 1
					}
					taps := 1
					for a := 0; a < r; a++ {
						taps *= 4
					}
					for tap := 0; tap < taps; tap++ {
						w := 1.0
						k := tap
						for a := r - 1; a >= 0; a-- {
							j := k % 4
							k /= 4
							idx[a] = base[a] + j
							w *= coeffs[a][j]
						}
						val += w * s.at(idx)
					}
				}
				ys[(b*C+c)*outPlane+o] = val
			}
		}
	}
	SetF64s(out, ys)
	return []*ir.Tensor{out}, nil
}

// evalAffineGrid: grid[n, d, h, w] = theta[n] * (x_w, y_h[, z_d], 1), with x, y, z the
// normalized coordinates of pixel centers (align_corners=0) or of the corner pixels (=1).
func evalAffineGrid(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	theta, sizeT := in[0], in[1]
	if !signalFloatDType(theta.DType) {
		return nil, Unsupportedf("AffineGrid of %s", theta.DType)
	}
	if !sizeT.DType.IsInt() || len(sizeT.Shape) != 1 || (sizeT.Shape[0] != 4 && sizeT.Shape[0] != 5) {
		return nil, fmt.Errorf("size must be an integer vector of 4 or 5 elements, got %s%v", sizeT.DType, sizeT.Shape)
	}
	size := sizeT.AsInt64s()
	nd := len(size) - 2
	if len(theta.Shape) != 3 || theta.Shape[0] != size[0] || theta.Shape[1] != int64(nd) || theta.Shape[2] != int64(nd+1) {
		return nil, fmt.Errorf("theta has shape %v, want [%d, %d, %d] for size %v", theta.Shape, size[0], nd, nd+1, size)
	}
	for _, v := range size {
		if v < 0 {
			return nil, fmt.Errorf("size %v has a negative dim", size)
		}
	}
	align := n.AttrInt("align_corners", 0) != 0
	outShape := append([]int64{size[0]}, size[2:]...)
	outShape = append(outShape, int64(nd))
	out, err := signalNewTensor(ctx, theta.DType, outShape)
	if err != nil {
		return nil, err
	}
	norm := func(i, n int64) float64 {
		if align {
			if n <= 1 {
				return -1
			}
			return -1 + 2*float64(i)/float64(n-1)
		}
		return -1 + float64(2*i+1)/float64(n)
	}
	th := F64s(theta)
	ys := make([]float64, out.Len())
	spatial := size[2:]
	points := 1
	for _, d := range spatial {
		points *= int(d)
	}
	pt := make([]float64, nd+1)
	for b := 0; b < int(size[0]); b++ {
		T := th[b*nd*(nd+1) : (b+1)*nd*(nd+1)]
		for p := 0; p < points; p++ {
			// point coordinates in (x, y[, z]) order: x follows the last axis
			k := p
			for a := nd - 1; a >= 0; a-- {
				i := int64(k) % spatial[a]
				k /= int(spatial[a])
				pt[nd-1-a] = norm(i, spatial[a])
			}
			pt[nd] = 1
			for row := 0; row < nd; row++ {
				var acc float64
				for col := 0; col <= nd; col++ {
					acc += T[row*(nd+1)+col] * pt[col]
				}
				ys[(b*points+p)*nd+row] = acc
			}
		}
	}
	SetF64s(out, ys)
	return []*ir.Tensor{out}, nil
}

// evalRoiAlign pools each region with sampling_ratio (or ceil(bin size)) bilinear samples per bin
// axis, as ONNX (and ONNX Runtime) define it; mode max takes the maximum over samples of the
// largest weighted corner.
func evalRoiAlign(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, rois, bidx := in[0], in[1], in[2]
	if !signalFloatDType(x.DType) || rois.DType != x.DType {
		return nil, Unsupportedf("RoiAlign of %s with %s rois", x.DType, rois.DType)
	}
	if len(x.Shape) != 4 || len(rois.Shape) != 2 || rois.Shape[1] != 4 || len(bidx.Shape) != 1 || bidx.Shape[0] != rois.Shape[0] || !bidx.DType.IsInt() {
		return nil, fmt.Errorf("X %v, rois %v and batch_indices %s%v must be [N,C,H,W], [R,4] and integer [R]", x.Shape, rois.Shape, bidx.DType, bidx.Shape)
	}
	mode := n.AttrString("mode", "avg")
	if mode != "avg" && mode != "max" {
		return nil, fmt.Errorf("mode %q is not avg or max", mode)
	}
	ctm := n.AttrString("coordinate_transformation_mode", "")
	if ctm == "" {
		ctm = "half_pixel"
		if ctx.Opset() < 16 {
			ctm = "output_half_pixel"
		}
	}
	if ctm != "half_pixel" && ctm != "output_half_pixel" {
		return nil, fmt.Errorf("coordinate_transformation_mode %q is not half_pixel or output_half_pixel", ctm)
	}
	oh, ow := n.AttrInt("output_height", 1), n.AttrInt("output_width", 1)
	ratio := n.AttrInt("sampling_ratio", 0)
	if oh <= 0 || ow <= 0 || ratio < 0 {
		return nil, fmt.Errorf("output_height %d, output_width %d must be positive and sampling_ratio %d not negative", oh, ow, ratio)
	}
	scale := float64(n.AttrFloat("spatial_scale", 1))
	N, C, H, W := int(x.Shape[0]), int(x.Shape[1]), int(x.Shape[2]), int(x.Shape[3])
	R := int(rois.Shape[0])
	out, err := signalNewTensor(ctx, x.DType, []int64{int64(R), int64(C), oh, ow})
	if err != nil {
		return nil, err
	}
	xs, rs, bs := F64s(x), F64s(rois), bidx.AsInt64s()
	ys := make([]float64, out.Len())
	offset := 0.0
	if ctm == "half_pixel" {
		offset = 0.5
	}
	type sample struct {
		pos [4]int
		w   [4]float64
	}
	for ri := 0; ri < R; ri++ {
		b := bs[ri]
		if b < 0 || b >= int64(N) {
			return nil, fmt.Errorf("batch_indices[%d] = %d is outside [0, %d)", ri, b, N)
		}
		x0, y0 := rs[ri*4]*scale-offset, rs[ri*4+1]*scale-offset
		x1, y1 := rs[ri*4+2]*scale-offset, rs[ri*4+3]*scale-offset
		rw, rh := x1-x0, y1-y0
		if ctm == "output_half_pixel" {
			rw, rh = math.Max(rw, 1), math.Max(rh, 1)
		}
		binH, binW := rh/float64(oh), rw/float64(ow)
		gridH, gridW := int(ratio), int(ratio)
		if ratio == 0 {
			gridH, gridW = int(math.Ceil(rh/float64(oh))), int(math.Ceil(rw/float64(ow)))
		}
		if gridH < 0 || gridW < 0 || float64(gridH)*float64(gridW)*float64(oh*ow) > 1<<24 {
			return nil, fmt.Errorf("roi %d needs %d x %d samples per bin: too many (set sampling_ratio)", ri, gridH, gridW)
		}
		count := float64(max(gridH*gridW, 1))
		// the bilinear taps of every sample of every bin, shared by all channels
		samples := make([]sample, 0, int(oh*ow)*max(gridH*gridW, 0))
		for ph := 0; ph < int(oh); ph++ {
			for pw := 0; pw < int(ow); pw++ {
				for iy := 0; iy < gridH; iy++ {
					yy := y0 + float64(ph)*binH + (float64(iy)+0.5)*binH/float64(gridH)
					for ix := 0; ix < gridW; ix++ {
						xx := x0 + float64(pw)*binW + (float64(ix)+0.5)*binW/float64(gridW)
						samples = append(samples, roiBilinear(yy, xx, H, W))
					}
				}
			}
		}
		per := gridH * gridW
		for c := 0; c < C; c++ {
			plane := xs[(int(b)*C+c)*H*W : (int(b)*C+c+1)*H*W]
			for bin := 0; bin < int(oh*ow); bin++ {
				var v float64
				for k, s := range samples[bin*per : (bin+1)*per] {
					if mode == "avg" {
						for q := 0; q < 4; q++ {
							v += s.w[q] * plane[s.pos[q]]
						}
						continue
					}
					m := math.Max(math.Max(s.w[0]*plane[s.pos[0]], s.w[1]*plane[s.pos[1]]), math.Max(s.w[2]*plane[s.pos[2]], s.w[3]*plane[s.pos[3]]))
					if k == 0 || m > v {
						v = m
					}
				}
				if mode == "avg" {
					v /= count
				}
				ys[(ri*C+c)*int(oh*ow)+bin] = v
			}
		}
	}
	SetF64s(out, ys)
	return []*ir.Tensor{out}, nil
}

// roiBilinear returns the four taps and weights of a bilinear sample at (y, x) of an H x W plane;
// points more than one pixel outside the plane weigh nothing.
func roiBilinear(y, x float64, H, W int) (s struct {
	pos [4]int
	w   [4]float64
}) {
	if !(y >= -1 && y <= float64(H) && x >= -1 && x <= float64(W)) { // NaN lands here too
		return s
	}
	y, x = math.Max(y, 0), math.Max(x, 0)
	yl, xl := int(y), int(x)
	var yh, xh int
	if yl >= H-1 {
		yl, yh = H-1, H-1
		y = float64(yl)
	} else {
		yh = yl + 1
	}
	if xl >= W-1 {
		xl, xh = W-1, W-1
		x = float64(xl)
	} else {
		xh = xl + 1
	}
	ly, lx := y-float64(yl), x-float64(xl)
	hy, hx := 1-ly, 1-lx
	s.w = [4]float64{hy * hx, hy * lx, ly * hx, ly * lx}
	s.pos = [4]int{yl*W + xl, yl*W + xh, yh*W + xl, yh*W + xh}
	return s
}

// evalNonMaxSuppression selects, per batch and class, boxes in descending score order (ties by
// lower index) whose score exceeds score_threshold and whose IoU with every box selected before
// does not exceed iou_threshold, up to max_output_boxes_per_class (absent or 0: none).
func evalNonMaxSuppression(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	boxes, scores := in[0], in[1]
	if !signalFloatDType(boxes.DType) || !signalFloatDType(scores.DType) {
		return nil, Unsupportedf("NonMaxSuppression of %s boxes and %s scores", boxes.DType, scores.DType)
	}
	if len(boxes.Shape) != 3 || boxes.Shape[2] != 4 || len(scores.Shape) != 3 || scores.Shape[0] != boxes.Shape[0] || scores.Shape[2] != boxes.Shape[1] {
		return nil, fmt.Errorf("boxes %v and scores %v must be [batch, spatial, 4] and [batch, classes, spatial]", boxes.Shape, scores.Shape)
	}
	var maxOut int64
	if len(in) > 2 && in[2] != nil && in[2].Len() > 0 {
		v, err := signalScalarInt(in[2], "max_output_boxes_per_class")
		if err != nil {
			return nil, err
		}
		maxOut = max(v, 0)
	}
	var iouTh float64
	if len(in) > 3 && in[3] != nil && in[3].Len() > 0 {
		v, err := signalScalarFloat(in[3], "iou_threshold")
		if err != nil {
			return nil, err
		}
		if v < 0 || v > 1 {
			return nil, fmt.Errorf("iou_threshold %g is outside [0, 1]", v)
		}
		iouTh = v
	}
	hasScoreTh := false
	var scoreTh float64
	if len(in) > 4 && in[4] != nil && in[4].Len() > 0 {
		v, err := signalScalarFloat(in[4], "score_threshold")
		if err != nil {
			return nil, err
		}
		scoreTh, hasScoreTh = v, true
	}
	center := n.AttrInt("center_point_box", 0)
	if center != 0 && center != 1 {
		return nil, fmt.Errorf("center_point_box %d is not 0 or 1", center)
	}
	B, S, K := int(boxes.Shape[0]), int(boxes.Shape[1]), int(scores.Shape[1])
	bx, sc := F64s(boxes), F64s(scores)
	// corners returns (ymin, xmin, ymax, xmax) of box i of batch b
	corners := func(b, i int) [4]float64 {
		v := bx[(b*S+i)*4 : (b*S+i+1)*4]
		if center == 1 {
			return [4]float64{v[1] - v[3]/2, v[0] - v[2]/2, v[1] + v[3]/2, v[0] + v[2]/2}
		}
		return [4]float64{math.Min(v[0], v[2]), math.Min(v[1], v[3]), math.Max(v[0], v[2]), math.Max(v[1], v[3])}
	}
	overlaps := func(p, q [4]float64) bool {
		ih := math.Min(p[2], q[2]) - math.Max(p[0], q[0])
		iw := math.Min(p[3], q[3]) - math.Max(p[1], q[1])
		if ih <= 0 || iw <= 0 {
			return false
		}
		inter := ih * iw
		a1, a2 := (p[2]-p[0])*(p[3]-p[1]), (q[2]-q[0])*(q[3]-q[1])
		if a1 <= 0 || a2 <= 0 {
			return false
		}
		union := a1 + a2 - inter
		if union <= 0 {
			return false
		}
		return inter/union > iouTh
	}
	var sel []int64
	for b := 0; b < B; b++ {
		for k := 0; k < K; k++ {
			s := sc[(b*K+k)*S : (b*K+k+1)*S]
			var cand []int
			for i := 0; i < S; i++ {
				if !hasScoreTh || s[i] > scoreTh {
					cand = append(cand, i)
				}
			}
			// stable order: score descending, index ascending
			sort.SliceStable(cand, func(a, c int) bool { return s[cand[a]] > s[cand[c]] })
			var kept [][4]float64
			for _, i := range cand {
				if int64(len(kept)) >= maxOut {
					break
				}
				box := corners(b, i)
				ok := true
				for _, q := range kept {
					if overlaps(box, q) {
						ok = false
						break
					}
				}
				if ok {
					kept = append(kept, box)
					sel = append(sel, int64(b), int64(k), int64(i))
				}
			}
		}
	}
	out, err := signalNewTensor(ctx, ir.Int64, []int64{int64(len(sel) / 3), 3})
	if err != nil {
		return nil, err
	}
	copy(out.Int64s(), sel)
	return []*ir.Tensor{out}, nil
}
