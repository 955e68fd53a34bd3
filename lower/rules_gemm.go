package lower

import (
	"math"

	"github.com/llmc/llmc/ir"
)

func init() {
	register("", "MatMul", (*lowerer).matmul)
	register("", "Gemm", (*lowerer).gemm)
	register(ir.MSDomain, "FusedGemm", (*lowerer).gemm)
	register(ir.MSDomain, "FusedMatMul", (*lowerer).fusedMatMul)
	register(ir.MSDomain, "Attention", (*lowerer).attention)
	for _, op := range []string{"MatMulBias", "MatMulBiasGelu", "MatMulFastGelu", "MatMulSkipLayerNormalization", "MatMulSkipLayerNormalizationSum"} {
		register(ir.LLMCDomain, op, (*lowerer).llmcMatMul)
	}
}

// isF32 reports whether every value is a float32 tensor.
func (l *lowerer) isF32(vs ...*ir.Value) bool {
	for _, v := range vs {
		if v == nil || l.typ(v).DType != ir.Float32 {
			return false
		}
	}
	return true
}

// dims is v's shape as Exprs (nil when not resolved).
func (l *lowerer) dims(v *ir.Value) []Expr {
	if t := l.constant(v); t != nil {
		out := make([]Expr, len(t.Shape))
		for i, d := range t.Shape {
			out[i] = Const(d)
		}
		return out
	}
	t := l.typ(v)
	if !t.Ranked {
		return nil
	}
	s, ok := ShapeExprs(t.Shape)
	if !ok {
		return nil
	}
	return s
}

// lastIs reports whether the last dim of s is the constant k.
func lastIs(s []Expr, k int64) bool {
	if len(s) == 0 {
		return false
	}
	v, ok := s[len(s)-1].Value()
	return ok && v == k
}

// vector returns v as a float32 vector of n elements when it is one (a constant or a run-time
// value of shape [n] or [1, …, 1, n]).
func (l *lowerer) vector(v *ir.Value, n Expr) *Value {
	if v == nil || !l.isF32(v) {
		return nil
	}
	d := l.dims(v)
	if len(d) == 0 || !d[len(d)-1].Equal(n) {
		return nil
	}
	for _, x := range d[:len(d)-1] {
		if c, ok := x.Value(); !ok || c != 1 {
			return nil
		}
	}
	sv, err := l.value(v)
	if err != nil {
		return nil
	}
	return sv
}

// constVector is vector for constants only (GEMM epilogue biases are built into the kernel's
// epilogue once).
func (l *lowerer) constVector(v *ir.Value, n int) *Value {
	if l.constant(v) == nil {
		return nil
	}
	return l.vector(v, Const(int64(n)))
}

// weight2D returns the constant 2-D float32 weight behind v.
func (l *lowerer) weight2D(v *ir.Value) *ir.Tensor {
	t := l.constant(v)
	if t == nil || t.DType != ir.Float32 || len(t.Shape) != 2 {
		return nil
	}
	return t
}

// epilogue looks for the single consumer of a GEMM output y (of n columns) that the GEMM's
// epilogue absorbs: BiasGelu(y, bias), Gelu(y), FastGelu(y[, bias]), Add(y, bias[n]).
func (l *lowerer) epilogue(y *ir.Value, n int) (cons *ir.Node, bias *Value, act Act) {
	if l.opts.NoFusedEpilogues {
		return nil, nil, ActNone
	}
	c := l.onlyUser(y)
	if c == nil || !l.isF32(c.Outputs[0]) {
		return nil, nil, ActNone
	}
	switch {
	case c.Domain == ir.MSDomain && c.Op == "BiasGelu" && c.Inputs[0] == y:
		if b := l.constVector(c.Inputs[1], n); b != nil {
			return c, b, ActGELU
		}
	case c.Domain == ir.MSDomain && c.Op == "Gelu" && c.Inputs[0] == y:
		return c, nil, ActGELU
	case c.Domain == ir.MSDomain && c.Op == "FastGelu" && c.Inputs[0] == y:
		if c.Input(1) == nil {
			return c, nil, ActGELUTanh
		}
		if b := l.constVector(c.Inputs[1], n); b != nil {
			return c, b, ActGELUTanh
		}
	case c.Domain == "" && c.Op == "Add" && len(c.Inputs) == 2 && c.Attr("broadcast") == nil:
		other := c.Inputs[1]
		if other == y {
			other = c.Inputs[0]
		}
		if other != y {
			if b := l.constVector(other, n); b != nil {
				return c, b, ActNone
			}
		}
	}
	return nil, nil, ActNone
}

// gemmPacked adds a packed-weight GEMM step of A (rank >= 2, last dim K) times the weight into
// out, fusing a consumer of the product when one fits.
func (l *lowerer) gemmPacked(n *ir.Node, a, y *ir.Value, w *Weight, alpha float32, fuse bool) (bool, error) {
	ad := l.dims(a)
	if len(ad) < 2 || !lastIs(ad, int64(w.K)) {
		return false, nil
	}
	nodes := []*ir.Node{n}
	out := y
	var bias *Value
	act, fused := ActNone, ""
	if fuse {
		if cons, b, ac := l.epilogue(y, w.N); cons != nil {
			l.fused[cons] = true
			nodes = append(nodes, cons)
			out, bias, act, fused = cons.Outputs[0], b, ac, cons.Op
		}
	}
	vs, ys, err := l.operands([]*ir.Value{a}, []*ir.Value{out})
	if err != nil {
		return false, err
	}
	k := &Gemm{A: vs[0], Y: ys[0], W: w, M: Product(ad[:len(ad)-1]...), LdA: Const(int64(w.K)), Alpha: alpha, Bias: bias, Act: act, Fused: fused}
	l.add(k, nodes, []*Value{vs[0], bias, w.Value}, ys)
	return true, nil
}

func (l *lowerer) matmul(n *ir.Node) (bool, error) {
	a, b, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if !l.isF32(a, b, y) {
		return false, nil
	}
	if l.weight2D(b) != nil && len(l.dims(a)) >= 2 {
		w, err := l.weight(b, false)
		if err != nil {
			return false, err
		}
		if ok, err := l.gemmPacked(n, a, y, w, 1, true); ok || err != nil {
			return ok, err
		}
	}
	return l.batchedMatMul(n, a, b, y, false, false, 1)
}

// batchedMatMul lowers a product of two activations with numpy matmul semantics (1-D operands
// promoted, batch dims broadcast) when the batch dims fold into at most two levels.
func (l *lowerer) batchedMatMul(n *ir.Node, a, b, y *ir.Value, transA, transB bool, alpha float32) (bool, error) {
	ad, bd := l.dims(a), l.dims(b)
	if ad == nil || bd == nil || len(ad) == 0 || len(bd) == 0 || !l.isF32(a, b, y) {
		return false, nil
	}
	if len(ad) == 1 {
		if transA {
			return false, nil
		}
		ad = []Expr{Const(1), ad[0]}
	}
	if len(bd) == 1 {
		if transB {
			return false, nil
		}
		bd = []Expr{bd[0], Const(1)}
	}
	ra, rb := len(ad), len(bd)
	m, k := ad[ra-2], ad[ra-1]
	if transA {
		m, k = k, m
	}
	kb, nn := bd[rb-2], bd[rb-1]
	if transB {
		kb, nn = nn, kb
	}
	if !k.Equal(kb) {
		return false, nil
	}
	// batch dims, right-aligned; each level: (size, A has it, B has it)
	r := max(ra, rb) - 2
	type dim struct {
		size   Expr
		inA    bool
		inB    bool
		stride [3]Expr // element strides in A, B and Y of one step along this dim
	}
	dims := make([]dim, r)
	one := Const(1)
	for i := 0; i < r; i++ {
		da, db := one, one
		if j := i - (r - (ra - 2)); j >= 0 {
			da = ad[j]
		}
		if j := i - (r - (rb - 2)); j >= 0 {
			db = bd[j]
		}
		isOne := func(e Expr) bool { c, ok := e.Value(); return ok && c == 1 }
		switch {
		case da.Equal(db):
			dims[i] = dim{size: da, inA: !isOne(da), inB: !isOne(db)}
		case isOne(da):
			dims[i] = dim{size: db, inB: true}
		case isOne(db):
			dims[i] = dim{size: da, inA: true}
		default:
			return false, nil // dims that may or may not broadcast at run time
		}
	}
	// element strides: a matrix, then each batch dim from the innermost out
	sa, sb, sy := Product(m, k), Product(k, nn), Product(m, nn)
	for i := r - 1; i >= 0; i-- {
		d := &dims[i]
		d.stride = [3]Expr{Const(0), Const(0), sy}
		if d.inA {
			d.stride[0] = sa
			sa = sa.Mul(d.size)
		}
		if d.inB {
			d.stride[1] = sb
			sb = sb.Mul(d.size)
		}
		sy = sy.Mul(d.size)
	}
	// fold adjacent dims that broadcast alike into levels (size-1 dims vanish)
	type level struct {
		size   Expr
		stride [3]Expr
		inA    bool
		inB    bool
	}
	var levels []level
	for _, d := range dims {
		if c, ok := d.size.Value(); ok && c == 1 {
			continue
		}
		if nl := len(levels); nl > 0 && levels[nl-1].inA == d.inA && levels[nl-1].inB == d.inB {
			levels[nl-1].size = levels[nl-1].size.Mul(d.size)
			levels[nl-1].stride = d.stride
			continue
		}
		levels = append(levels, level{size: d.size, stride: d.stride, inA: d.inA, inB: d.inB})
	}
	if len(levels) > 2 {
		return false, nil
	}
	for len(levels) < 2 {
		levels = append([]level{{size: one, stride: [3]Expr{Const(0), Const(0), Const(0)}}}, levels...)
	}
	vs, err := l.values(a, b)
	if err != nil {
		return false, err
	}
	yv, err := l.define(y)
	if err != nil {
		return false, err
	}
	lda, ldb := ad[ra-1], bd[rb-1]
	mk := &MatMul{A: vs[0], B: vs[1], Y: yv, TransA: transA, TransB: transB, M: m, N: nn, K: k, LdA: lda, LdB: ldb, Alpha: alpha,
		Outer: levels[0].size, Inner: levels[1].size,
		SA: Strides{levels[0].stride[0], levels[1].stride[0]},
		SB: Strides{levels[0].stride[1], levels[1].stride[1]}}
	l.add(mk, []*ir.Node{n}, vs, []*Value{yv})
	return true, nil
}

// fusedMatMul lowers com.microsoft FusedMatMul (alpha·op(A)·op(B); ONNX Runtime's optimizer and
// llmc's transpose-into-matmul rule make it). transBatchA/B go to the reference step.
func (l *lowerer) fusedMatMul(n *ir.Node) (bool, error) {
	if n.AttrInt("transBatchA", 0) != 0 || n.AttrInt("transBatchB", 0) != 0 {
		return false, nil
	}
	transA, transB := n.AttrInt("transA", 0) != 0, n.AttrInt("transB", 0) != 0
	alpha := n.AttrFloat("alpha", 1)
	a, b, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if !l.isF32(a, b, y) {
		return false, nil
	}
	if l.weight2D(b) != nil && !transA && len(l.dims(a)) >= 2 {
		w, err := l.weight(b, transB)
		if err != nil {
			return false, err
		}
		if ok, err := l.gemmPacked(n, a, y, w, alpha, false); ok || err != nil {
			return ok, err
		}
	}
	return l.batchedMatMul(n, a, b, y, transA, transB, alpha)
}

// gemm lowers Gemm, and com.microsoft FusedGemm with a Tanh or Relu activation, with a constant
// B and a C that is a per-column (or scalar) constant.
func (l *lowerer) gemm(n *ir.Node) (bool, error) {
	a, b, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	ad := l.dims(a)
	if !l.isF32(a, b, y) || len(ad) != 2 {
		return false, nil
	}
	act := ActNone
	switch s := n.AttrString("activation", ""); {
	case n.Domain == "" || s == "":
	case s == "Tanh":
		act = ActTanh
	case s == "Relu":
		act = ActRelu
	default:
		return false, nil
	}
	transA, transB := n.AttrInt("transA", 0) != 0, n.AttrInt("transB", 0) != 0
	alpha, beta := n.AttrFloat("alpha", 1), n.AttrFloat("beta", 1)
	m, lda := ad[0], ad[1]
	if transA {
		m = ad[1]
	}
	if l.weight2D(b) == nil {
		if n.Input(2) != nil || act != ActNone {
			return false, nil
		}
		return l.batchedMatMul(n, a, b, y, transA, transB, alpha)
	}
	w, err := l.weight(b, transB)
	if err != nil {
		return false, err
	}
	var bias *Value
	if c := n.Input(2); c != nil && beta != 0 {
		ct := l.constant(c)
		if ct == nil || ct.DType != ir.Float32 || (ct.Len() != w.N && ct.Len() != 1) || (len(ct.Shape) == 2 && ct.Shape[0] != 1) {
			return false, nil
		}
		src := ct.Aligned().Float32s()
		scaled := make([]float32, w.N)
		for j := range scaled {
			scaled[j] = beta * src[j%len(src)]
		}
		bias = l.derived(c.Name+"_scaled", ir.FromFloat32s([]int64{int64(w.N)}, scaled))
	}
	return l.simple(n, []*ir.Value{a}, func(vs []*Value, yv *Value) Kernel {
		return &Gemm{A: vs[0], Y: yv, W: w, TransA: transA, M: m, LdA: lda, Alpha: alpha, Bias: bias, Act: act}
	})
}

// llmcMatMul lowers llmc's MatMul-into-consumer ops: the packed GEMM with the consumer's bias
// (and GELU) in its epilogue; for MatMulSkipLayerNormalization the residual add and the row
// normalization after it.
func (l *lowerer) llmcMatMul(n *ir.Node) (bool, error) {
	a, b, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if !l.isF32(a, b, y) || l.weight2D(b) == nil || len(l.dims(a)) < 2 {
		return false, nil
	}
	w, err := l.weight(b, false)
	if err != nil {
		return false, err
	}
	ad := l.dims(a)
	if !lastIs(ad, int64(w.K)) {
		return false, nil
	}
	switch n.Op {
	case "MatMulBias", "MatMulBiasGelu", "MatMulFastGelu":
		bias := l.constVector(n.Inputs[2], w.N)
		if bias == nil {
			return false, nil
		}
		act := map[string]Act{"MatMulBias": ActNone, "MatMulBiasGelu": ActGELU, "MatMulFastGelu": ActGELUTanh}[n.Op]
		return l.simple(n, []*ir.Value{a}, func(vs []*Value, yv *Value) Kernel {
			return &Gemm{A: vs[0], Y: yv, W: w, M: Product(ad[:len(ad)-1]...), LdA: Const(int64(w.K)), Alpha: 1, Bias: bias, Act: act, Fused: n.Op[len("MatMul"):]}
		})
	}
	skip := n.Inputs[2]
	nn := Const(int64(w.N))
	gamma, beta := l.vector(n.Inputs[3], nn), l.vector(n.Inputs[4], nn)
	bias := l.constVector(n.Inputs[5], w.N)
	if !l.isF32(skip) || gamma == nil || beta == nil || bias == nil || !Product(l.dims(skip)...).Equal(Product(l.dims(y)...)) {
		return false, nil
	}
	vs, ys, err := l.operands([]*ir.Value{a, skip}, []*ir.Value{y, n.Output(1)})
	if err != nil {
		return false, err
	}
	k := &GemmSkipLayerNorm{A: vs[0], Skip: vs[1], Y: ys[0], Sum: ys[1], W: w, M: Product(ad[:len(ad)-1]...), Bias: bias, Gamma: gamma, Beta: beta, Eps: n.AttrFloat("epsilon", 1e-12)}
	l.add(k, []*ir.Node{n}, []*Value{vs[0], vs[1], bias, gamma, beta, w.Value}, ys)
	return true, nil
}

// attention lowers com.microsoft Attention (self-attention with packed QKV weights) as two
// steps, the QKV projection and the attention core, so that profiles tell the GEMM apart.
func (l *lowerer) attention(n *ir.Node) (bool, error) {
	x, wv, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	bias, mask := n.Input(2), n.Input(3)
	if len(n.Inputs) > 4 || l.used(n.Output(1)) || !l.isF32(x, wv, y) || n.AttrInt("unidirectional", 0) != 0 ||
		n.Attr("qkv_hidden_sizes") != nil || n.AttrInt("do_rotary", 0) != 0 {
		return false, nil
	}
	xd := l.dims(x)
	wt := l.weight2D(wv)
	if len(xd) != 3 || wt == nil || wt.Shape[1]%3 != 0 {
		return false, nil
	}
	in, ok := xd[2].Value()
	if !ok || in != wt.Shape[0] {
		return false, nil
	}
	B, S := xd[0], xd[1]
	hid := int(wt.Shape[1]) / 3
	heads := int(n.AttrInt("num_heads", 1))
	if heads <= 0 || hid%heads != 0 {
		return false, nil
	}
	var bv *Value
	if bias != nil {
		if bv = l.constVector(bias, 3*hid); bv == nil {
			return false, nil
		}
	}
	var maskV, indexV *Value
	if mask != nil {
		md := l.dims(mask)
		if l.typ(mask).DType != ir.Int32 || md == nil {
			return false, nil
		}
		sConst, sKnown := S.Value()
		isOne := func(e Expr) bool { c, ok := e.Value(); return ok && c == 1 }
		switch {
		case len(md) == 2 && md[0].Equal(B) && md[1].Equal(S):
			mv, err := l.value(mask)
			if err != nil {
				return false, err
			}
			maskV = mv
		case len(md) == 2 && isOne(md[1]) && (isOne(md[0]) || md[0].Equal(B)) && sKnown && sConst != 1:
			// ONNX Runtime's dummy mask: the same as none
		case len(md) == 1 && (md[0].Equal(B) || md[0].Equal(B.Scale(2))):
			iv, err := l.value(mask)
			if err != nil {
				return false, err
			}
			indexV = iv
		default:
			return false, nil
		}
	}
	w, err := l.weight(wv, false)
	if err != nil {
		return false, err
	}
	d := hid / heads
	scale := float32(1 / math.Sqrt(float64(d)))
	if a := n.Attr("scale"); a != nil {
		scale = a.F
	}
	filter := n.AttrFloat("mask_filter_value", -10000)
	xv, err := l.value(x)
	if err != nil {
		return false, err
	}
	yv, err := l.define(y)
	if err != nil {
		return false, err
	}
	// scratch: QKV rows (B·S·3H), scores (B·heads·S·S), and the mask row (B·S) floats
	floats := Product(B, S, Const(int64(3*hid))).Add(Product(B, Const(int64(heads)), S, S)).Add(Product(B, S))
	scr := l.scratch(n.Name+"#scratch", floats.Scale(4))
	qkv := &AttentionQKV{X: xv, Scratch: scr, W: w, Bias: bv, B: B, S: S, In: int(in), Hidden: hid}
	l.add(qkv, []*ir.Node{n}, []*Value{xv, bv, w.Value}, []*Value{scr})
	core := &AttentionCore{Y: yv, Scratch: scr, Mask: maskV, MaskIndex: indexV, B: B, S: S, Hidden: hid, Heads: heads, Scale: scale, Filter: filter}
	if indexV != nil {
		core.KeyMask = l.scratch(n.Name+"#keymask", Product(B, S).Scale(4))
	}
	l.add(core, []*ir.Node{n}, []*Value{scr, maskV, indexV}, []*Value{yv, scr, core.KeyMask})
	return true, nil
}
