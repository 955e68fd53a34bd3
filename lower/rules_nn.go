package lower

import (
	"math"

	"github.com/llmc/llmc/ir"
)

func init() {
	register("", "LayerNormalization", (*lowerer).layerNorm)
	register(ir.MSDomain, "SkipLayerNormalization", (*lowerer).skipLayerNorm)
	register(ir.MSDomain, "EmbedLayerNormalization", (*lowerer).embedLayerNorm)
	register(ir.MSDomain, "BiasGelu", (*lowerer).gelu)
	register(ir.MSDomain, "FastGelu", (*lowerer).gelu)
	register(ir.MSDomain, "Gelu", (*lowerer).gelu)
	for _, op := range UnaryOps() {
		register("", string(op), (*lowerer).unary)
	}
	register("", "Pow", (*lowerer).powScalar)
	for _, op := range []string{"Add", "Sub", "Mul", "Div", "Max", "Min", "Pow"} {
		register("", op, (*lowerer).broadcast)
	}
	register("", "Clip", (*lowerer).clip)
	register("", "Softmax", (*lowerer).softmax)
	register("", "LogSoftmax", (*lowerer).softmax)
}

// operand returns v as a float32 operand of numel elements (a constant or a run-time value).
func (l *lowerer) operand(v *ir.Value, numel Expr) *Value {
	if v == nil || !l.isF32(v) {
		return nil
	}
	d := l.dims(v)
	if d == nil || !Product(d...).Equal(numel) {
		return nil
	}
	sv, err := l.value(v)
	if err != nil {
		return nil
	}
	return sv
}

// zeros returns a float32 constant of n zeros (n must be constant), or nil.
func (l *lowerer) zeros(name string, n Expr) *Value {
	c, ok := n.Value()
	if !ok {
		return nil
	}
	return l.derived(name, ir.MustTensor(ir.Float32, c))
}

// rowsLast splits a shape into (rows, last dim).
func rowsLast(d []Expr) (Expr, Expr) {
	if len(d) == 0 {
		return Const(1), Const(1)
	}
	return Product(d[:len(d)-1]...), d[len(d)-1]
}

func (l *lowerer) layerNorm(n *ir.Node) (bool, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	xd := l.dims(x)
	if !l.isF32(x, y) || xd == nil {
		return false, nil
	}
	for _, o := range []*ir.Value{n.Output(1), n.Output(2)} {
		if l.used(o) && !l.isF32(o) {
			return false, nil // statistics in another type (stash_type) go to the reference step
		}
	}
	ax, err := ir.NormalizeAxis(n.AttrInt("axis", -1), len(xd))
	if err != nil {
		return false, nil
	}
	rows, nn := Product(xd[:ax]...), Product(xd[ax:]...)
	gamma := l.operand(n.Inputs[1], nn)
	beta := l.operand(n.Input(2), nn)
	if gamma == nil || (beta == nil && n.Input(2) != nil) {
		return false, nil
	}
	vs, ys, err := l.operands([]*ir.Value{x}, []*ir.Value{y, n.Output(1), n.Output(2)})
	if err != nil {
		return false, err
	}
	k := &LayerNorm{X: vs[0], Y: ys[0], Mean: ys[1], InvStd: ys[2], Rows: rows, N: nn, Gamma: gamma, Beta: beta, Eps: n.AttrFloat("epsilon", 1e-5)}
	l.add(k, []*ir.Node{n}, []*Value{vs[0], gamma, beta}, ys)
	return true, nil
}

func (l *lowerer) skipLayerNorm(n *ir.Node) (bool, error) {
	x, skip, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if l.used(n.Output(1)) || l.used(n.Output(2)) {
		return false, nil // mean and inv_std_var (training)
	}
	xd := l.dims(x)
	if !l.isF32(x, skip, y) || xd == nil || !Product(xd...).Equal(Product(l.dims(skip)...)) {
		return false, nil
	}
	rows, h := rowsLast(xd)
	hv, ok := h.Value()
	if !ok {
		return false, nil
	}
	gamma := l.vector(n.Inputs[2], h)
	beta := l.vector(n.Input(3), h)
	if n.Input(3) == nil {
		beta = l.zeros(n.Name+"#zero_beta", h)
	}
	var bias *Value
	if bv := n.Input(4); bv != nil {
		if bias = l.vector(bv, h); bias == nil {
			return false, nil
		}
	}
	if gamma == nil || beta == nil {
		return false, nil
	}
	sumOut := n.Output(3) // input_skip_bias_sum: pre-LN residuals
	if l.used(sumOut) && !l.isF32(sumOut) {
		return false, nil
	}
	vs, ys, err := l.operands([]*ir.Value{x, skip}, []*ir.Value{y, sumOut})
	if err != nil {
		return false, err
	}
	k := &SkipLayerNorm{X: vs[0], Skip: vs[1], Y: ys[0], Sum: ys[1], Bias: bias, Gamma: gamma, Beta: beta, Rows: rows, N: int(hv), Eps: n.AttrFloat("epsilon", 1e-12)}
	l.add(k, []*ir.Node{n}, []*Value{vs[0], vs[1], bias, gamma, beta}, ys)
	return true, nil
}

func (l *lowerer) embedLayerNorm(n *ir.Node) (bool, error) {
	if n.Input(8) != nil { // explicit position ids
		return false, nil
	}
	mask := n.Input(7) // ONNX Runtime's optimizer feeds the mask here for mask_index
	if mask != nil && l.typ(mask).DType != ir.Int32 {
		return false, nil
	}
	ids, seg, y := n.Inputs[0], n.Input(1), n.Outputs[0]
	word, pos := l.weight2D(n.Inputs[2]), l.weight2D(n.Inputs[3])
	idd := l.dims(ids)
	if len(idd) != 2 || word == nil || pos == nil || !l.isF32(y) || l.typ(ids).DType != ir.Int32 || (seg != nil && l.typ(seg).DType != ir.Int32) {
		return false, nil
	}
	if mask != nil && !equalShapes(l.dims(mask), idd) {
		return false, nil
	}
	maskOut, sumOut := n.Output(1), n.Output(2)
	if !l.used(maskOut) {
		maskOut = nil
	}
	if !l.used(sumOut) {
		sumOut = nil
	}
	if maskOut != nil && l.typ(maskOut).DType != ir.Int32 {
		return false, nil
	}
	h := word.Shape[1]
	hE := Const(h)
	var segT *Value
	if seg != nil {
		if l.weight2D(n.Input(4)) == nil {
			return false, nil
		}
		segT, _ = l.value(n.Inputs[4])
	}
	gamma, beta := l.vector(n.Inputs[5], hE), l.vector(n.Inputs[6], hE)
	if gamma == nil || beta == nil {
		return false, nil
	}
	vs, ys, err := l.operands([]*ir.Value{ids, seg, mask, n.Inputs[2], n.Inputs[3]}, []*ir.Value{y, maskOut, sumOut})
	if err != nil {
		return false, err
	}
	k := &EmbedLayerNorm{Ids: vs[0], Seg: vs[1], Mask: vs[2], Y: ys[0], MaskIndex: ys[1], Sum: ys[2], Word: vs[3], Pos: vs[4], SegTable: segT,
		Gamma: gamma, Beta: beta, B: idd[0], S: idd[1], Hidden: int(h), Eps: n.AttrFloat("epsilon", 1e-12)}
	l.add(k, []*ir.Node{n}, []*Value{vs[0], vs[1], vs[2], vs[3], vs[4], segT, gamma, beta}, ys)
	return true, nil
}

func (l *lowerer) gelu(n *ir.Node) (bool, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	xd := l.dims(x)
	if !l.isF32(x, y) || xd == nil {
		return false, nil
	}
	rows, h := rowsLast(xd)
	var bias *Value
	if bv := n.Input(1); bv != nil {
		if bias = l.vector(bv, h); bias == nil {
			return false, nil
		}
	}
	return l.simple(n, []*ir.Value{x, n.Input(1)}, func(vs []*Value, yv *Value) Kernel {
		return &Gelu{X: vs[0], Y: yv, Bias: bias, Rows: rows, N: h, Tanh: n.Op == "FastGelu"}
	})
}

func (l *lowerer) unary(n *ir.Node) (bool, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	if !l.isF32(x, y) || l.dims(x) == nil {
		return false, nil
	}
	return l.simple(n, []*ir.Value{x}, func(vs []*Value, yv *Value) Kernel {
		return &Unary{Op: UnaryOp(n.Op), X: vs[0], Y: yv, N: vs[0].Numel()}
	})
}

func (l *lowerer) softmax(n *ir.Node) (bool, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	xd := l.dims(x)
	if !l.isF32(x, y) || xd == nil {
		return false, nil
	}
	r := len(xd)
	var rows, nn, inner Expr
	if l.g.OpsetVersion("") < 13 {
		// the input is coerced to 2-D [prod(dims[:axis]), prod(dims[axis:])] (default axis 1)
		ax, err := ir.NormalizeAxis(n.AttrInt("axis", 1), r)
		if err != nil {
			return false, nil
		}
		rows, nn, inner = Product(xd[:ax]...), Product(xd[ax:]...), Const(1)
	} else {
		ax, err := ir.NormalizeAxis(n.AttrInt("axis", -1), r)
		if err != nil {
			return false, nil
		}
		rows, nn, inner = Product(xd[:ax]...), xd[ax], Product(xd[ax+1:]...)
	}
	return l.simple(n, []*ir.Value{x}, func(vs []*Value, yv *Value) Kernel {
		return &Softmax{X: vs[0], Y: yv, Rows: rows, N: nn, Inner: inner, Log: n.Op == "LogSoftmax"}
	})
}

// UnaryOps lists the elementwise float32 ops with a CPU kernel of the same name.
func UnaryOps() []UnaryOp {
	return []UnaryOp{"Tanh", "Erf", "Exp", "Relu", "Sigmoid", "Sqrt", "Neg", "Abs", "Log", "Reciprocal"}
}

// broadcast lowers the elementwise binary ops with numpy broadcasting.
func (l *lowerer) broadcast(n *ir.Node) (bool, error) {
	if len(n.Inputs) != 2 || n.Inputs[0] == nil || n.Inputs[1] == nil || n.Attr("broadcast") != nil {
		return false, nil
	}
	a, b, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if l.dims(a) == nil || l.dims(b) == nil || l.dims(y) == nil {
		return false, nil
	}
	dt := l.typ(a).DType
	if l.typ(b).DType != dt || l.typ(y).DType != dt || !numericType(dt) {
		return false, nil
	}
	if !broadcastsTo(l.dims(a), l.dims(y)) || !broadcastsTo(l.dims(b), l.dims(y)) {
		return false, nil
	}
	return l.simple(n, []*ir.Value{a, b}, func(vs []*Value, yv *Value) Kernel {
		return &Broadcast{Op: BinaryOp(n.Op), A: vs[0], B: vs[1], Y: yv}
	})
}

// numericType reports whether the typed kernels take dt.
func numericType(dt ir.DType) bool {
	return dt == ir.Float32 || dt == ir.Float64 || dt == ir.Int32 || dt == ir.Int64
}

// broadcastsTo reports whether shape s broadcasts to out (right-aligned, each dim equal or 1),
// decided symbolically.
func broadcastsTo(s, out []Expr) bool {
	if len(s) > len(out) {
		return false
	}
	for i := range s {
		d, o := s[len(s)-1-i], out[len(out)-1-i]
		if c, ok := d.Value(); !d.Equal(o) && !(ok && c == 1) {
			return false
		}
	}
	return true
}

// powScalar lowers Pow with a constant scalar float32 exponent.
func (l *lowerer) powScalar(n *ir.Node) (bool, error) {
	x, e, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	et := l.constant(e)
	if !l.isF32(x, y) || et == nil || et.Len() != 1 || (et.DType != ir.Float32 && et.DType != ir.Float64) || l.dims(x) == nil {
		return false, nil
	}
	if !equalShapes(l.dims(x), l.dims(y)) {
		return false, nil
	}
	return l.simple(n, []*ir.Value{x}, func(vs []*Value, yv *Value) Kernel {
		return &Unary{Op: "PowScalar", X: vs[0], Y: yv, N: vs[0].Numel(), Args: []float32{float32(et.Float64At(0))}}
	})
}

// clip lowers Clip on float32 with constant (or absent) bounds.
func (l *lowerer) clip(n *ir.Node) (bool, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	if !l.isF32(x, y) || l.dims(x) == nil {
		return false, nil
	}
	lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
	if a := n.Attr("min"); a != nil {
		lo = a.F
	}
	if a := n.Attr("max"); a != nil {
		hi = a.F
	}
	for i, p := range []*float32{&lo, &hi} {
		v := n.Input(i + 1)
		if v == nil {
			continue
		}
		t := l.constant(v)
		if t == nil || t.Len() != 1 {
			return false, nil
		}
		*p = float32(t.Float64At(0))
	}
	return l.simple(n, []*ir.Value{x}, func(vs []*Value, yv *Value) Kernel {
		return &Unary{Op: "Clip", X: vs[0], Y: yv, N: vs[0].Numel(), Args: []float32{lo, hi}}
	})
}
