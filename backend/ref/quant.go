package ref

import (
	"fmt"
	"math"

	"github.com/llmc/llmc/ir"
)

// Evaluation of the quantization ops. Quantized values are handled as exact int64; rounding is
// half to even and results saturate to the range of the quantized type.

func init() {
	SetEval("", "QuantizeLinear", quantEvalQuantize)
	SetEval("", "DequantizeLinear", quantEvalDequantize)
	SetEval("", "DynamicQuantizeLinear", quantEvalDynamic)
	SetEval("", "MatMulInteger", quantEvalMatMulInteger)
	SetEval("", "QLinearMatMul", quantEvalQLinearMatMul)
	SetEval("", "ConvInteger", quantEvalConvInteger)
	SetEval("", "QLinearConv", quantEvalQLinearConv)
}

// quantRange is the representable range of an integer quantized type.
func quantRange(dt ir.DType) (lo, hi int64, ok bool) {
	switch dt {
	case ir.Uint8:
		return 0, 255, true
	case ir.Int8:
		return -128, 127, true
	case ir.Uint16:
		return 0, 65535, true
	case ir.Int16:
		return -32768, 32767, true
	case ir.Int32:
		return math.MinInt32, math.MaxInt32, true
	case ir.Uint4:
		return 0, 15, true
	case ir.Int4:
		return -8, 7, true
	}
	return 0, 0, false
}

// quantSaturate rounds v half to even and clamps it into [lo, hi] (NaN maps to 0).
func quantSaturate(v float64, lo, hi int64) int64 {
	v = math.RoundToEven(v)
	switch {
	case math.IsNaN(v):
		return 0
	case v <= float64(lo):
		return lo
	case v >= float64(hi):
		return hi
	}
	return int64(v)
}

// quantParamIndex maps every element of a tensor of shape xs to the element of a scale / zero
// point of shape ps it uses: per tensor (one element), per axis (1-D along axis) or blocked
// (same rank as x, block elements along axis sharing one scale).
func quantParamIndex(xs, ps []int64, axis int64, block int64) ([]int, error) {
	n := convProd(xs)
	pn := convProd(ps)
	idx := make([]int, n)
	if pn == 1 && block <= 0 {
		return idx, nil
	}
	ax, err := ir.NormalizeAxis(axis, len(xs))
	if err != nil {
		return nil, err
	}
	if block > 0 {
		if len(ps) != len(xs) {
			return nil, fmt.Errorf("blocked quantization: scale shape %v must have the rank of input %v", ps, xs)
		}
		for i := range xs {
			want := xs[i]
			if i == ax {
				want = (xs[i] + block - 1) / block
			}
			if ps[i] != want {
				return nil, fmt.Errorf("blocked quantization: scale shape %v does not match input %v with block_size %d on axis %d", ps, xs, block, ax)
			}
		}
		coord := make([]int64, len(xs))
		pst := Strides(ps)
		for e := range idx {
			convUnflatten(e, xs, coord)
			off := 0
			for i, c := range coord {
				if i == ax {
					c /= block
				}
				off += int(c * pst[i])
			}
			idx[e] = off
		}
		return idx, nil
	}
	if len(ps) != 1 || ps[0] != xs[ax] {
		return nil, fmt.Errorf("per-axis scale of shape %v must be 1-D with %d values (input %v, axis %d)", ps, xs[ax], xs, ax)
	}
	inner := convProd(xs[ax+1:])
	for e := range idx {
		idx[e] = (e / max(inner, 1)) % int(xs[ax])
	}
	return idx, nil
}

// quantZeroPoint returns the zero point values (zeros of the scale's count when absent).
func quantZeroPoint(zp *ir.Tensor, scale *ir.Tensor) ([]int64, error) {
	if zp == nil {
		return make([]int64, scale.Len()), nil
	}
	if zp.Len() != scale.Len() {
		return nil, fmt.Errorf("zero point shape %v differs from scale shape %v", zp.Shape, scale.Shape)
	}
	if !zp.DType.IsInt() {
		return nil, Unsupportedf("zero point of %s", zp.DType)
	}
	return zp.AsInt64s(), nil
}

func quantEvalQuantize(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, scale := in[0], in[1]
	var zp *ir.Tensor
	if len(in) > 2 {
		zp = in[2]
	}
	if !nnIsFloat(x.DType) && x.DType != ir.Int32 {
		return nil, Unsupportedf("QuantizeLinear of %s", x.DType)
	}
	if !nnIsFloat(scale.DType) {
		return nil, fmt.Errorf("y_scale must be floating-point, got %s", scale.DType)
	}
	dt := ir.Uint8
	if od := n.AttrInt("output_dtype", 0); od != 0 {
		dt = ir.DType(od)
	}
	if zp != nil {
		dt = zp.DType
	}
	f8, isF8 := elemF8Formats[dt]
	lo, hi, ok := quantRange(dt)
	if (!ok || dt == ir.Int32) && !isF8 {
		return nil, Unsupportedf("quantization to %s", dt)
	}
	idx, err := quantParamIndex(x.Shape, scale.Shape, n.AttrInt("axis", 1), n.AttrInt("block_size", 0))
	if err != nil {
		return nil, err
	}
	var zv []float64
	if isF8 {
		zv, err = quantF8ZeroPoint(zp, scale, f8)
	} else {
		var zi []int64
		zi, err = quantZeroPoint(zp, scale)
		zv = make([]float64, len(zi))
		for i, z := range zi {
			zv[i] = float64(z)
		}
	}
	if err != nil {
		return nil, err
	}
	sv := F64s(scale)
	y, err := ctx.NewTensor(dt, x.Shape)
	if err != nil {
		return nil, err
	}
	// The division runs in the precision of the scale (or of the precision attribute).
	prec := scale.DType
	if pa := n.AttrInt("precision", 0); pa != 0 {
		prec = ir.DType(pa)
	}
	div := func(v, s float64) float64 {
		switch prec {
		case ir.Float64:
			return v / s
		case ir.Float16:
			return float64(ir.Float16ToFloat32(ir.Float32ToFloat16(float32(v) / float32(s))))
		case ir.BFloat16:
			return float64(ir.BFloat16ToFloat32(ir.Float32ToBFloat16(float32(v) / float32(s))))
		}
		return float64(float32(v) / float32(s))
	}
	xv := F64s(x)
	if isF8 {
		// float8 targets: a rounding cast of x/scale + zero point, saturating unless told not to.
		sat := n.AttrInt("saturate", 1) != 0
		for e, v := range xv {
			y.Raw[e] = elemToF8(div(v, sv[idx[e]])+zv[idx[e]], f8, sat)
		}
		return []*ir.Tensor{y}, nil
	}
	out := make([]int64, len(xv))
	for e, v := range xv {
		out[e] = quantSaturate(math.RoundToEven(div(v, sv[idx[e]]))+zv[idx[e]], lo, hi)
	}
	if err := nnSetInts(y, out); err != nil {
		return nil, err
	}
	return []*ir.Tensor{y}, nil
}

// quantF8ZeroPoint decodes a float8 zero point (zeros when absent).
func quantF8ZeroPoint(zp, scale *ir.Tensor, f elemF8Format) ([]float64, error) {
	out := make([]float64, scale.Len())
	if zp == nil {
		return out, nil
	}
	if zp.Len() != scale.Len() {
		return nil, fmt.Errorf("zero point shape %v differs from scale shape %v", zp.Shape, scale.Shape)
	}
	for i, b := range zp.Raw {
		out[i] = elemFromF8(b, f)
	}
	return out, nil
}

func quantEvalDequantize(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, scale := in[0], in[1]
	var zp *ir.Tensor
	if len(in) > 2 {
		zp = in[2]
	}
	f8, isF8 := elemF8Formats[x.DType]
	if _, _, ok := quantRange(x.DType); !ok && !isF8 {
		return nil, Unsupportedf("DequantizeLinear of %s", x.DType)
	}
	if !nnIsFloat(scale.DType) {
		return nil, fmt.Errorf("x_scale must be floating-point, got %s", scale.DType)
	}
	if zp != nil && zp.DType != x.DType {
		return nil, fmt.Errorf("x_zero_point has element type %s, x has %s", zp.DType, x.DType)
	}
	dt := scale.DType
	if od := n.AttrInt("output_dtype", 0); od != 0 {
		dt = ir.DType(od)
		if !nnIsFloat(dt) {
			return nil, Unsupportedf("output_dtype %s", dt)
		}
	}
	idx, err := quantParamIndex(x.Shape, scale.Shape, n.AttrInt("axis", 1), n.AttrInt("block_size", 0))
	if err != nil {
		return nil, err
	}
	sv := F64s(scale)
	out := make([]float64, x.Len())
	if isF8 {
		zv, err := quantF8ZeroPoint(zp, scale, f8)
		if err != nil {
			return nil, err
		}
		for e, b := range x.Raw {
			out[e] = (elemFromF8(b, f8) - zv[idx[e]]) * sv[idx[e]]
		}
	} else {
		zv, err := quantZeroPoint(zp, scale)
		if err != nil {
			return nil, err
		}
		for e, v := range x.AsInt64s() {
			out[e] = float64(v-zv[idx[e]]) * sv[idx[e]]
		}
	}
	y, err := nnStore(ctx, dt, x.Shape, out)
	if err != nil {
		return nil, err
	}
	return []*ir.Tensor{y}, nil
}

func quantEvalDynamic(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	if x.DType != ir.Float32 {
		return nil, Unsupportedf("DynamicQuantizeLinear of %s (want float32)", x.DType)
	}
	xv := x.Float32s()
	var lo, hi float32 // the range always includes 0
	for _, v := range xv {
		lo, hi = min(lo, v), max(hi, v)
	}
	scale := (hi - lo) / 255
	var zp int64
	if scale != 0 {
		zp = quantSaturate(float64(-lo/scale), 0, 255)
	}
	y, err := ctx.NewTensor(ir.Uint8, x.Shape)
	if err != nil {
		return nil, err
	}
	q := y.Bytes()
	for i, v := range xv {
		if scale == 0 {
			q[i] = byte(zp)
			continue
		}
		q[i] = byte(quantSaturate(math.RoundToEven(float64(v/scale))+float64(zp), 0, 255))
	}
	ys, err := ctx.NewTensor(ir.Float32, nil)
	if err != nil {
		return nil, err
	}
	ys.Float32s()[0] = scale
	yz, err := ctx.NewTensor(ir.Uint8, nil)
	if err != nil {
		return nil, err
	}
	yz.Raw[0] = byte(zp)
	return []*ir.Tensor{y, ys, yz}, nil
}

// quant8 checks that t is int8 or uint8.
func quant8(t *ir.Tensor, what string) error {
	if t.DType != ir.Int8 && t.DType != ir.Uint8 {
		return Unsupportedf("%s has element type %s, want int8 or uint8", what, t.DType)
	}
	return nil
}

// quantShifted returns t - zp where zp is per tensor, or per row (rows of size inner, cycling
// through cnt values) when it has cnt elements.
func quantShifted(t, zp *ir.Tensor, what string, cnt, inner int) ([]int64, error) {
	v := t.AsInt64s()
	if zp == nil {
		return v, nil
	}
	if zp.DType != t.DType {
		return nil, fmt.Errorf("%s zero point has element type %s, want %s", what, zp.DType, t.DType)
	}
	z := zp.AsInt64s()
	switch {
	case len(z) == 1:
		for i := range v {
			v[i] -= z[0]
		}
	case len(z) == cnt: // 1-D, or a shape like [M,1] / [1,N] with one value per row / column
		for i := range v {
			v[i] -= z[(i/max(inner, 1))%cnt]
		}
	default:
		return nil, fmt.Errorf("%s zero point of shape %v must be a scalar or have %d values", what, zp.Shape, cnt)
	}
	return v, nil
}

// quantMatMul computes (a - azp) @ (b - bzp) exactly; azp per tensor or per row of a, bzp per
// tensor or per column of b.
// The output of type dt is allocated in the plan.
func quantMatMul(ctx ir.EvalContext, dt ir.DType, a, azp, b, bzp *ir.Tensor) (*nnMatMulPlan, []int64, error) {
	if err := quant8(a, "A"); err != nil {
		return nil, nil, err
	}
	if err := quant8(b, "B"); err != nil {
		return nil, nil, err
	}
	p, err := nnPlanMatMul(ctx, dt, a.Shape, b.Shape)
	if err != nil {
		return nil, nil, err
	}
	av, err := quantShifted(a, azp, "A", p.m, p.k)
	if err != nil {
		return nil, nil, err
	}
	bv, err := quantShifted(b, bzp, "B", p.n, 1)
	if err != nil {
		return nil, nil, err
	}
	mn := p.m * p.n
	out := make([]int64, p.y.Len())
	for i := range p.aOff {
		nnGemmI64(out[i*mn:(i+1)*mn], av[p.aOff[i]:], bv[p.bOff[i]:], p.m, p.k, p.n)
	}
	return p, out, nil
}

func quantOpt(in []*ir.Tensor, i int) *ir.Tensor {
	if i < len(in) {
		return in[i]
	}
	return nil
}

func quantEvalMatMulInteger(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	p, out, err := quantMatMul(ctx, ir.Int32, in[0], quantOpt(in, 2), in[1], quantOpt(in, 3))
	if err != nil {
		return nil, err
	}
	y := p.y
	if err := nnSetInts(y, out); err != nil {
		return nil, err
	}
	return []*ir.Tensor{y}, nil
}

// quantScales reads a scale that is per tensor or has cnt values (per row / column / channel).
func quantScales(t *ir.Tensor, what string, cnt int) ([]float64, error) {
	if !nnIsFloat(t.DType) {
		return nil, fmt.Errorf("%s must be floating-point, got %s", what, t.DType)
	}
	v := F64s(t)
	switch len(v) {
	case 1:
		out := make([]float64, cnt)
		for i := range out {
			out[i] = v[0]
		}
		return out, nil
	case cnt:
		return v, nil
	}
	return nil, fmt.Errorf("%s of shape %v must be a scalar or have %d values", what, t.Shape, cnt)
}

// quantScalarZP reads a per-tensor output zero point and the range of its type.
func quantScalarZP(zp *ir.Tensor) (int64, int64, int64, error) {
	lo, hi, ok := quantRange(zp.DType)
	if !ok || zp.DType == ir.Int32 {
		return 0, 0, 0, Unsupportedf("output type %s", zp.DType)
	}
	if zp.Len() != 1 {
		return 0, 0, 0, fmt.Errorf("y_zero_point must be a scalar, got shape %v", zp.Shape)
	}
	return zp.AsInt64s()[0], lo, hi, nil
}

func quantEvalQLinearMatMul(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a, as, azp, b, bs, bzp, ys, yzp := in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7]
	if _, _, _, err := quantScalarZP(yzp); err != nil {
		return nil, err
	}
	p, acc, err := quantMatMul(ctx, yzp.DType, a, azp, b, bzp)
	if err != nil {
		return nil, err
	}
	asv, err := quantScales(as, "a_scale", p.m)
	if err != nil {
		return nil, err
	}
	bsv, err := quantScales(bs, "b_scale", p.n)
	if err != nil {
		return nil, err
	}
	ysv, err := quantScales(ys, "y_scale", 1)
	if err != nil {
		return nil, err
	}
	z, lo, hi, err := quantScalarZP(yzp)
	if err != nil {
		return nil, err
	}
	y := p.y
	out := make([]int64, len(acc))
	for e, v := range acc {
		i, j := (e/p.n)%p.m, e%p.n
		out[e] = quantSaturate(math.RoundToEven(float64(v)*asv[i]*bsv[j]/ysv[0])+float64(z), lo, hi)
	}
	if err := nnSetInts(y, out); err != nil {
		return nil, err
	}
	return []*ir.Tensor{y}, nil
}

// quantConv computes conv(x - xzp, w - wzp) + bias exactly; xzp per tensor, wzp per tensor or per
// output channel.
// The output of type dt is allocated in the plan.
func quantConv(ctx ir.EvalContext, dt ir.DType, n *ir.Node, x, xzp, w, wzp, bias *ir.Tensor) (*convPlan, []int64, error) {
	if err := quant8(x, "x"); err != nil {
		return nil, nil, err
	}
	if err := quant8(w, "w"); err != nil {
		return nil, nil, err
	}
	p, err := convPrepare(ctx, dt, n, x.Shape, w.Shape)
	if err != nil {
		return nil, nil, err
	}
	if xzp != nil && xzp.Len() != 1 {
		return nil, nil, fmt.Errorf("x zero point must be a scalar, got shape %v", xzp.Shape)
	}
	xv, err := quantShifted(x, xzp, "x", 1, 1)
	if err != nil {
		return nil, nil, err
	}
	wv, err := quantShifted(w, wzp, "w", p.m, convProd(w.Shape[1:]))
	if err != nil {
		return nil, nil, err
	}
	out := make([]int64, p.y.Len())
	if bias != nil {
		if bias.DType != ir.Int32 {
			return nil, nil, fmt.Errorf("bias must be int32, got %s", bias.DType)
		}
		if err := convBias(out, bias.AsInt64s(), p); err != nil {
			return nil, nil, err
		}
	}
	convRun(p, xv, wv, out)
	return p, out, nil
}

func quantEvalConvInteger(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	p, out, err := quantConv(ctx, ir.Int32, n, in[0], quantOpt(in, 2), in[1], quantOpt(in, 3), nil)
	if err != nil {
		return nil, err
	}
	y := p.y
	if err := nnSetInts(y, out); err != nil {
		return nil, err
	}
	return []*ir.Tensor{y}, nil
}

func quantEvalQLinearConv(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, xs, xzp, w, ws, wzp, ys, yzp := in[0], in[1], in[2], in[3], in[4], in[5], in[6], in[7]
	if _, _, _, err := quantScalarZP(yzp); err != nil {
		return nil, err
	}
	p, acc, err := quantConv(ctx, yzp.DType, n, x, xzp, w, wzp, quantOpt(in, 8))
	if err != nil {
		return nil, err
	}
	xsv, err := quantScales(xs, "x_scale", 1)
	if err != nil {
		return nil, err
	}
	wsv, err := quantScales(ws, "w_scale", p.m)
	if err != nil {
		return nil, err
	}
	ysv, err := quantScales(ys, "y_scale", 1)
	if err != nil {
		return nil, err
	}
	z, lo, hi, err := quantScalarZP(yzp)
	if err != nil {
		return nil, err
	}
	y := p.y
	outN := convProd(p.out)
	out := make([]int64, len(acc))
	for e, v := range acc {
		m := (e / max(outN, 1)) % p.m
		out[e] = quantSaturate(math.RoundToEven(float64(v)*xsv[0]*wsv[m]/ysv[0])+float64(z), lo, hi)
	}
	if err := nnSetInts(y, out); err != nil {
		return nil, err
	}
	return []*ir.Tensor{y}, nil
}
