package ref

import (
	"fmt"
	"math"

	"github.com/llmc/llmc/ir"
)

// Evaluation of convolutions and pooling. Every window op goes through one index table: for each
// (output position, kernel position) pair, the flat spatial index of the input element it reads,
// or -1 where the window lies in the padding. The geometry itself (auto_pad, ceil_mode, ...) comes
// from ir.ConvGeometry, the same code that inference uses.

func init() {
	SetEval("", "Conv", convEvalConv)
	SetEval("", "ConvTranspose", convEvalTranspose)
	SetEval("", "MaxPool", convEvalMaxPool)
	SetEval("", "AveragePool", convEvalAvgPool)
	SetEval("", "LpPool", convEvalLpPool)
	SetEval("", "MaxUnpool", convEvalMaxUnpool)
	SetEval("", "GlobalAveragePool", convEvalGlobalPool)
	SetEval("", "GlobalMaxPool", convEvalGlobalPool)
	SetEval("", "GlobalLpPool", convEvalGlobalPool)
}

func convProd(s []int64) int {
	n := 1
	for _, d := range s {
		n *= int(d)
	}
	return n
}

// convUnflatten writes the row-major coordinates of flat index f in shape s into c.
func convUnflatten(f int, s []int64, c []int64) {
	for i := len(s) - 1; i >= 0; i-- {
		c[i] = int64(f) % s[i]
		f /= int(s[i])
	}
}

// convTable returns idx[o*kN+k] = flat input spatial index read by output position o at kernel
// position k (-1 in the padding), and the number of kernel positions kN. The table is allocated
// through ctx, so its size counts against the memory cap.
func convTable(ctx ir.EvalContext, in, out []int64, g ir.ConvGeom) ([]int64, int, error) {
	oN, kN := convProd(out), convProd(g.Kernel)
	if oN == 0 || kN == 0 {
		return nil, kN, nil
	}
	tt, err := ctx.NewTensor(ir.Int64, []int64{int64(oN), int64(kN)})
	if err != nil {
		return nil, 0, err
	}
	idx := tt.Int64s()
	r := len(in)
	oc := make([]int64, r)
	kc := make([]int64, r)
	for o := 0; o < oN; o++ {
		convUnflatten(o, out, oc)
		for k := 0; k < kN; k++ {
			convUnflatten(k, g.Kernel, kc)
			flat := int64(0)
			for d := 0; d < r; d++ {
				p := oc[d]*g.Strides[d] - g.PadBegin[d] + kc[d]*g.Dilations[d]
				if p < 0 || p >= in[d] {
					flat = -1
					break
				}
				flat = flat*in[d] + p
			}
			idx[o*kN+k] = flat
		}
	}
	return idx, kN, nil
}

// convPlan is a checked Conv-shaped computation: x [N,C,in...], w [M,C/group,kernel...].
type convPlan struct {
	batch, c, m, group int
	in, out            []int64
	geom               ir.ConvGeom
	idx                []int64
	kN                 int
	y                  *ir.Tensor // the output, allocated before any scratch
}

func (p *convPlan) outShape() []int64 {
	return append([]int64{int64(p.batch), int64(p.m)}, p.out...)
}

// convPrepare checks a Conv-shaped computation and allocates its output of type dt.
func convPrepare(ctx ir.EvalContext, dt ir.DType, n *ir.Node, xs, ws []int64) (*convPlan, error) {
	if len(xs) < 3 {
		return nil, fmt.Errorf("input must have rank >= 3 ([N,C,spatial...]), got %v", xs)
	}
	if len(ws) != len(xs) {
		return nil, fmt.Errorf("weight shape %v has rank %d, input %v has rank %d", ws, len(ws), xs, len(xs))
	}
	group := n.AttrInt("group", 1)
	if group <= 0 {
		return nil, fmt.Errorf("group %d must be positive", group)
	}
	if xs[1] != ws[1]*group {
		return nil, fmt.Errorf("input has %d channels, weight %v with group %d expects %d", xs[1], ws, group, ws[1]*group)
	}
	if ws[0]%group != 0 {
		return nil, fmt.Errorf("output channels %d not divisible by group %d", ws[0], group)
	}
	kernel := ws[2:]
	if ks := n.AttrInts("kernel_shape", nil); ks != nil {
		if len(ks) != len(kernel) {
			return nil, fmt.Errorf("kernel_shape %v disagrees with weight shape %v", ks, ws)
		}
		for i := range ks {
			if ks[i] != kernel[i] {
				return nil, fmt.Errorf("kernel_shape %v disagrees with weight shape %v", ks, ws)
			}
		}
	}
	g, err := ir.ConvGeometry(n, xs[2:], kernel, false)
	if err != nil {
		return nil, err
	}
	p := &convPlan{batch: int(xs[0]), c: int(xs[1]), m: int(ws[0]), group: int(group), in: xs[2:], out: g.Out, geom: g}
	if p.y, err = ctx.NewTensor(dt, p.outShape()); err != nil {
		return nil, err
	}
	if p.idx, p.kN, err = convTable(ctx, p.in, p.out, g); err != nil {
		return nil, err
	}
	return p, nil
}

// convRun computes y += conv(x, w) (y preset with the bias) for a plan.
func convRun[T float64 | int64](p *convPlan, x, w, y []T) {
	inN, outN := convProd(p.in), convProd(p.out)
	cg, mg := p.c/p.group, p.m/p.group
	for b := 0; b < p.batch; b++ {
		for g := 0; g < p.group; g++ {
			for mm := 0; mm < mg; mm++ {
				m := g*mg + mm
				yrow := y[(b*p.m+m)*outN : (b*p.m+m+1)*outN]
				for cc := 0; cc < cg; cc++ {
					c := g*cg + cc
					xrow := x[(b*p.c+c)*inN : (b*p.c+c+1)*inN]
					wrow := w[(m*cg+cc)*p.kN : (m*cg+cc+1)*p.kN]
					for o := range yrow {
						t := p.idx[o*p.kN : (o+1)*p.kN]
						acc := yrow[o]
						for k, i := range t {
							if i >= 0 {
								acc += xrow[i] * wrow[k]
							}
						}
						yrow[o] = acc
					}
				}
			}
		}
	}
}

// convBias fills y (shape [N,M,out...]) with bias[m], checking bias has M values.
func convBias[T any](y []T, bias []T, p *convPlan) error {
	if bias == nil {
		return nil
	}
	if len(bias) != p.m {
		return fmt.Errorf("bias has %d values, want %d (one per output channel)", len(bias), p.m)
	}
	outN := convProd(p.out)
	for b := 0; b < p.batch; b++ {
		for m := 0; m < p.m; m++ {
			row := y[(b*p.m+m)*outN : (b*p.m+m+1)*outN]
			for i := range row {
				row[i] = bias[m]
			}
		}
	}
	return nil
}

func convEvalConv(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, w := in[0], in[1]
	if err := nnNeedFloat(x, "X"); err != nil {
		return nil, err
	}
	if w.DType != x.DType {
		return nil, fmt.Errorf("W has element type %s, X has %s", w.DType, x.DType)
	}
	p, err := convPrepare(ctx, x.DType, n, x.Shape, w.Shape)
	if err != nil {
		return nil, err
	}
	y := p.y
	out := make([]float64, y.Len())
	if len(in) > 2 && in[2] != nil {
		if err := nnNeedFloat(in[2], "B"); err != nil {
			return nil, err
		}
		if err := convBias(out, F64s(in[2]), p); err != nil {
			return nil, err
		}
	}
	convRun(p, F64s(x), F64s(w), out)
	SetF64s(y, out)
	return []*ir.Tensor{y}, nil
}

func convEvalTranspose(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, w := in[0], in[1]
	if err := nnNeedFloat(x, "X"); err != nil {
		return nil, err
	}
	if w.DType != x.DType {
		return nil, fmt.Errorf("W has element type %s, X has %s", w.DType, x.DType)
	}
	xs, ws := x.Shape, w.Shape
	if len(xs) < 3 || len(ws) != len(xs) {
		return nil, fmt.Errorf("input %v and weight %v must have the same rank >= 3", xs, ws)
	}
	group := n.AttrInt("group", 1)
	if group <= 0 {
		return nil, fmt.Errorf("group %d must be positive", group)
	}
	if xs[1] != ws[0] || ws[0]%group != 0 {
		return nil, fmt.Errorf("input has %d channels, weight %v expects %d (divisible by group %d)", xs[1], ws, ws[0], group)
	}
	kernel := ws[2:]
	if ks := n.AttrInts("kernel_shape", nil); ks != nil {
		if len(ks) != len(kernel) {
			return nil, fmt.Errorf("kernel_shape %v disagrees with weight shape %v", ks, ws)
		}
		for i := range ks {
			if ks[i] != kernel[i] {
				return nil, fmt.Errorf("kernel_shape %v disagrees with weight shape %v", ks, ws)
			}
		}
	}
	g, err := ir.ConvTransposeGeometry(n, xs[2:], kernel)
	if err != nil {
		return nil, err
	}
	batch, c, mg := int(xs[0]), int(xs[1]), int(ws[1])
	grp := int(group)
	m := mg * grp
	cg := c / grp
	outShape := append([]int64{int64(batch), int64(m)}, g.Out...)
	y, err := ctx.NewTensor(x.DType, outShape)
	if err != nil {
		return nil, err
	}
	// Scatter table: input position i at kernel position k writes output position o (or -1).
	inSp, outSp := xs[2:], g.Out
	inN, outN, kN := convProd(inSp), convProd(outSp), convProd(kernel)
	r := len(inSp)
	var tab []int64
	if inN > 0 && kN > 0 && y.Len() > 0 {
		tt, err := ctx.NewTensor(ir.Int64, []int64{int64(inN), int64(kN)})
		if err != nil {
			return nil, err
		}
		tab = tt.Int64s()
	} else {
		inN = 0
	}
	ic := make([]int64, r)
	kc := make([]int64, r)
	for i := 0; i < inN; i++ {
		convUnflatten(i, inSp, ic)
		for k := 0; k < kN; k++ {
			convUnflatten(k, kernel, kc)
			flat := int64(0)
			for d := 0; d < r; d++ {
				o := ic[d]*g.Strides[d] - g.PadBegin[d] + kc[d]*g.Dilations[d]
				if o < 0 || o >= outSp[d] {
					flat = -1
					break
				}
				flat = flat*outSp[d] + o
			}
			tab[i*kN+k] = flat
		}
	}
	out := make([]float64, y.Len())
	if len(in) > 2 && in[2] != nil {
		if err := nnNeedFloat(in[2], "B"); err != nil {
			return nil, err
		}
		bv := F64s(in[2])
		if len(bv) != m {
			return nil, fmt.Errorf("bias has %d values, want %d (one per output channel)", len(bv), m)
		}
		for b := 0; b < batch; b++ {
			for mm := 0; mm < m; mm++ {
				row := out[(b*m+mm)*outN : (b*m+mm+1)*outN]
				for i := range row {
					row[i] = bv[mm]
				}
			}
		}
	}
	xv, wv := F64s(x), F64s(w)
	for b := 0; b < batch; b++ {
		for gi := 0; gi < grp; gi++ {
			for cc := 0; cc < cg; cc++ {
				ch := gi*cg + cc
				xrow := xv[(b*c+ch)*inN : (b*c+ch+1)*inN]
				for mm := 0; mm < mg; mm++ {
					oc := gi*mg + mm
					yrow := out[(b*m+oc)*outN : (b*m+oc+1)*outN]
					wrow := wv[(ch*mg+mm)*kN : (ch*mg+mm+1)*kN]
					for i, xval := range xrow {
						t := tab[i*kN : (i+1)*kN]
						for k, o := range t {
							if o >= 0 {
								yrow[o] += xval * wrow[k]
							}
						}
					}
				}
			}
		}
	}
	SetF64s(y, out)
	return []*ir.Tensor{y}, nil
}

// poolPlan is a checked pooling computation over x [N,C,in...].
type poolPlan struct {
	rows    int // N*C
	in, out []int64
	geom    ir.ConvGeom
	idx     []int64
	kN      int
	y       *ir.Tensor // the output, allocated before any scratch
}

// poolPrepare checks a pooling computation and allocates its output (x's type).
func poolPrepare(ctx ir.EvalContext, n *ir.Node, x *ir.Tensor, ceil bool) (*poolPlan, error) {
	if len(x.Shape) < 3 {
		return nil, fmt.Errorf("input must have rank >= 3 ([N,C,spatial...]), got %v", x.Shape)
	}
	kernel := n.AttrInts("kernel_shape", nil)
	if kernel == nil {
		return nil, fmt.Errorf("kernel_shape is required")
	}
	g, err := ir.ConvGeometry(n, x.Shape[2:], kernel, ceil)
	if err != nil {
		return nil, err
	}
	p := &poolPlan{rows: int(x.Shape[0] * x.Shape[1]), in: x.Shape[2:], out: g.Out, geom: g}
	if p.y, err = ctx.NewTensor(x.DType, p.outShape(x)); err != nil {
		return nil, err
	}
	if p.idx, p.kN, err = convTable(ctx, p.in, p.out, g); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *poolPlan) outShape(x *ir.Tensor) []int64 {
	return append([]int64{x.Shape[0], x.Shape[1]}, p.out...)
}

func convEvalMaxPool(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	if !nnIsFloat(x.DType) && x.DType != ir.Int8 && x.DType != ir.Uint8 {
		return nil, Unsupportedf("MaxPool of %s", x.DType)
	}
	p, err := poolPrepare(ctx, n, x, n.AttrInt("ceil_mode", 0) != 0)
	if err != nil {
		return nil, err
	}
	so := n.AttrInt("storage_order", 0)
	if so != 0 && so != 1 {
		return nil, fmt.Errorf("storage_order must be 0 or 1, got %d", so)
	}
	y := p.y
	var ind *ir.Tensor
	if len(n.Outputs) > 1 && n.Outputs[1] != nil {
		if ind, err = ctx.NewTensor(ir.Int64, p.outShape(x)); err != nil {
			return nil, err
		}
	}
	// colIdx converts a row-major flat spatial index into the column-major one.
	inN, outN := convProd(p.in), convProd(p.out)
	coord := make([]int64, len(p.in))
	colIdx := func(f int) int {
		convUnflatten(f, p.in, coord)
		c, mul := 0, 1
		for d := range coord {
			c += int(coord[d]) * mul
			mul *= int(p.in[d])
		}
		return c
	}
	xv := F64s(x)
	out := make([]float64, y.Len())
	var indices []int64
	if ind != nil {
		indices = ind.Int64s()
	}
	for r := 0; r < p.rows; r++ {
		xrow := xv[r*inN : (r+1)*inN]
		for o := 0; o < outN; o++ {
			best, arg := math.Inf(-1), -1
			for _, i := range p.idx[o*p.kN : (o+1)*p.kN] {
				if i >= 0 && (arg < 0 || xrow[i] > best) {
					best, arg = xrow[i], int(i)
				}
			}
			out[r*outN+o] = best
			if indices != nil && arg >= 0 {
				a := arg
				if so == 1 {
					a = colIdx(arg)
				}
				indices[r*outN+o] = int64(r*inN + a)
			}
		}
	}
	SetF64s(y, out)
	if ind != nil {
		return []*ir.Tensor{y, ind}, nil
	}
	return []*ir.Tensor{y, nil}[:len(n.Outputs)], nil
}

func convEvalAvgPool(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	if err := nnNeedFloat(x, "X"); err != nil {
		return nil, err
	}
	p, err := poolPrepare(ctx, n, x, n.AttrInt("ceil_mode", 0) != 0)
	if err != nil {
		return nil, err
	}
	y := p.y
	includePad := n.AttrInt("count_include_pad", 0) != 0
	inN, outN := convProd(p.in), convProd(p.out)
	// padCount[o]: window positions of o inside the padded input (count_include_pad divisor).
	padCount := make([]float64, outN)
	g := p.geom
	oc := make([]int64, len(p.in))
	for o := range padCount {
		convUnflatten(o, p.out, oc)
		cnt := 1.0
		for d := range oc {
			c := 0
			for k := int64(0); k < g.Kernel[d]; k++ {
				q := oc[d]*g.Strides[d] - g.PadBegin[d] + k*g.Dilations[d]
				if q >= -g.PadBegin[d] && q < p.in[d]+g.PadEnd[d] {
					c++
				}
			}
			cnt *= float64(c)
		}
		padCount[o] = cnt
	}
	xv := F64s(x)
	out := make([]float64, y.Len())
	for r := 0; r < p.rows; r++ {
		xrow := xv[r*inN : (r+1)*inN]
		for o := 0; o < outN; o++ {
			s, c := 0.0, 0
			for _, i := range p.idx[o*p.kN : (o+1)*p.kN] {
				if i >= 0 {
					s += xrow[i]
					c++
				}
			}
			if includePad {
				out[r*outN+o] = s / padCount[o]
			} else {
				out[r*outN+o] = s / float64(c)
			}
		}
	}
	SetF64s(y, out)
	return []*ir.Tensor{y}, nil
}

// convP reads the Lp-pool order p (an int since opset 2, a float before).
func convP(n *ir.Node) (float64, error) {
	p := float64(n.AttrInt("p", 2))
	if a := n.Attr("p"); a != nil && a.Kind == ir.AttrFloat {
		p = float64(a.F)
	}
	if !(p > 0) {
		return 0, fmt.Errorf("p must be positive, got %v", p)
	}
	return p, nil
}

func convEvalLpPool(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	if err := nnNeedFloat(x, "X"); err != nil {
		return nil, err
	}
	pw, err := convP(n)
	if err != nil {
		return nil, err
	}
	p, err := poolPrepare(ctx, n, x, n.AttrInt("ceil_mode", 0) != 0)
	if err != nil {
		return nil, err
	}
	y := p.y
	inN, outN := convProd(p.in), convProd(p.out)
	xv := F64s(x)
	out := make([]float64, y.Len())
	for r := 0; r < p.rows; r++ {
		xrow := xv[r*inN : (r+1)*inN]
		for o := 0; o < outN; o++ {
			s := 0.0
			for _, i := range p.idx[o*p.kN : (o+1)*p.kN] {
				if i >= 0 {
					s += math.Pow(math.Abs(xrow[i]), pw)
				}
			}
			out[r*outN+o] = math.Pow(s, 1/pw)
		}
	}
	SetF64s(y, out)
	return []*ir.Tensor{y}, nil
}

func convEvalGlobalPool(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	if err := nnNeedFloat(x, "X"); err != nil {
		return nil, err
	}
	if len(x.Shape) < 2 {
		return nil, fmt.Errorf("input must have rank >= 2 ([N,C,spatial...]), got %v", x.Shape)
	}
	pw := 0.0
	if n.Op == "GlobalLpPool" {
		var err error
		if pw, err = convP(n); err != nil {
			return nil, err
		}
	}
	outShape := []int64{x.Shape[0], x.Shape[1]}
	for range x.Shape[2:] {
		outShape = append(outShape, 1)
	}
	y, err := ctx.NewTensor(x.DType, outShape)
	if err != nil {
		return nil, err
	}
	rows, inner := y.Len(), convProd(x.Shape[2:])
	xv := F64s(x)
	out := make([]float64, rows)
	for r := range out {
		row := xv[r*inner : (r+1)*inner]
		switch n.Op {
		case "GlobalAveragePool":
			s := 0.0
			for _, v := range row {
				s += v
			}
			out[r] = s / float64(inner)
		case "GlobalMaxPool":
			m := math.Inf(-1)
			for i, v := range row {
				if i == 0 || v > m {
					m = v
				}
			}
			out[r] = m
		default:
			s := 0.0
			for _, v := range row {
				s += math.Pow(math.Abs(v), pw)
			}
			out[r] = math.Pow(s, 1/pw)
		}
	}
	SetF64s(y, out)
	return []*ir.Tensor{y}, nil
}

func convEvalMaxUnpool(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, ind := in[0], in[1]
	if !nnIsFloat(x.DType) {
		return nil, Unsupportedf("MaxUnpool of %s", x.DType)
	}
	if ind.DType != ir.Int64 {
		return nil, fmt.Errorf("indices must be int64, got %s", ind.DType)
	}
	if len(x.Shape) < 3 || len(ind.Shape) != len(x.Shape) {
		return nil, fmt.Errorf("X %v must have rank >= 3 and indices %v the same shape", x.Shape, ind.Shape)
	}
	for i := range x.Shape {
		if x.Shape[i] != ind.Shape[i] {
			return nil, fmt.Errorf("indices shape %v differs from X shape %v", ind.Shape, x.Shape)
		}
	}
	// Indices address the inferred output; a given output_shape (pads then ignored) must be at
	// least as large, and the inferred result sits at its low corner.
	var given []int64
	if len(in) > 2 && in[2] != nil {
		if !in[2].DType.IsInt() || len(in[2].Shape) != 1 {
			return nil, fmt.Errorf("output_shape must be a 1-D int64 tensor, got %s%v", in[2].DType, in[2].Shape)
		}
		given = in[2].AsInt64s()
		if len(given) != len(x.Shape) {
			return nil, fmt.Errorf("output_shape %v has %d values, want %d", given, len(given), len(x.Shape))
		}
	}
	kernel := n.AttrInts("kernel_shape", nil)
	r := len(x.Shape) - 2
	if len(kernel) != r {
		return nil, fmt.Errorf("kernel_shape %v must have %d values", kernel, r)
	}
	strides := n.AttrInts("strides", nil)
	pads := n.AttrInts("pads", nil)
	if strides != nil && len(strides) != r || pads != nil && len(pads) != 2*r {
		return nil, fmt.Errorf("strides %v / pads %v do not match %d spatial dims", strides, pads, r)
	}
	inferred := []int64{x.Shape[0], x.Shape[1]}
	for i := 0; i < r; i++ {
		s := int64(1)
		if strides != nil {
			s = strides[i]
		}
		if s <= 0 || kernel[i] <= 0 {
			return nil, fmt.Errorf("strides %v and kernel_shape %v must be positive", strides, kernel)
		}
		o := (x.Shape[2+i]-1)*s + kernel[i]
		if pads != nil && given == nil {
			o -= pads[i] + pads[r+i]
		}
		if o < 0 {
			return nil, fmt.Errorf("negative output size on spatial dim %d", i)
		}
		inferred = append(inferred, o)
	}
	outShape := inferred
	if given != nil {
		for i := range given {
			if given[i] < inferred[i] {
				return nil, fmt.Errorf("output_shape %v is smaller than the inferred shape %v", given, inferred)
			}
		}
		outShape = given
	}
	if _, err := ir.NumElements(inferred); err != nil {
		return nil, err
	}
	inferredN := convProd(inferred)
	y, err := ctx.NewTensor(x.DType, outShape)
	if err != nil {
		return nil, err
	}
	out := make([]float64, y.Len())
	xv := F64s(x)
	// place maps a flat index of the inferred shape to the flat index in the output.
	ist, ost := Strides(inferred), Strides(outShape)
	place := func(j int64) int64 {
		o := int64(0)
		for d := range inferred {
			o += (j / ist[d]) % inferred[d] * ost[d]
		}
		return o
	}
	for i, j := range ind.Int64s() {
		if j < 0 || j >= int64(inferredN) {
			return nil, fmt.Errorf("index %d at position %d is outside the unpooled tensor %v", j, i, inferred)
		}
		out[place(j)] = xv[i]
	}
	SetF64s(y, out)
	return []*ir.Tensor{y}, nil
}
