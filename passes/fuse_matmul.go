package passes

import "github.com/llmc/llmc/ir"

// The fuse-matmul pass absorbs a weight MatMul into the fused op that consumes it, giving llmc's
// own ops (domain "llmc", ir/ops_llmc.go):
//
//	Add(MatMul(A, W), bias), A and W 2-D       → Gemm(A, W, bias)
//	Add(MatMul(A, W), bias), A of rank > 2     → llmc::MatMulBias(A, W, bias)
//	MatMul(Transpose(A), B) (last two axes)    → com.microsoft::FusedMatMul(A, B) {transA=1} (or transB)
//	Tanh or Relu(Gemm(A, W, C))                → com.microsoft::FusedGemm(A, W, C) {activation} (BERT's pooler)
//	BiasGelu(MatMul(A, W), bias)               → llmc::MatMulBiasGelu(A, W, bias)
//	FastGelu(MatMul(A, W)[, bias])             → llmc::MatMulFastGelu(A, W, bias)
//	SkipLayerNormalization(MatMul(A, W), skip, gamma[, beta][, bias])
//	                                           → llmc::MatMulSkipLayerNormalization(A, W, skip, gamma, beta, bias)
//
// (an absent bias or beta becomes a zero vector: the llmc ops have fixed arity). Where the
// residual sum (input_skip_bias_sum) is read, as in pre-LN blocks, the op is
// llmc::MatMulSkipLayerNormalizationSum with the sum as second output. A SkipLayerNormalization
// whose mean or inv_std_var is used (training graphs) keeps its MatMul.
//
// That is exactly what the CPU backend runs as one kernel (a pre-packed GEMM whose epilogue adds
// the bias and applies GELU, or adds bias and residual before the row normalization), so after
// it a BERT layer is 4 nodes: Attention, MatMulSkipLayerNormalization, MatMulBiasGelu,
// MatMulSkipLayerNormalization. The ONNX exporter writes each op's definition as a model-local
// function, so ONNX Runtime still runs the result (it inlines the bodies back into MatMul and its
// own contrib op). Leave the pass out (--passes) to keep the graph in com.microsoft ops only.

var matmulRules = []Rule{
	{Name: "matmul-bias", Op: "Add", Match: matchMatMulBias, Rewrite: rewriteMatMulInto},
	{Name: "transpose-into-matmul", Op: "MatMul", Match: matchTransposedMatMul, Rewrite: rewriteTransposedMatMul},
	{Name: "gemm-activation", Op: "Tanh", Match: matchGemmActivation, Rewrite: rewriteGemmActivation},
	{Name: "gemm-activation", Op: "Relu", Match: matchGemmActivation, Rewrite: rewriteGemmActivation},
	{Name: "matmul-bias-gelu", Domain: MSDomain, Op: "BiasGelu", Match: matchMatMulInto, Rewrite: rewriteMatMulInto},
	{Name: "matmul-fast-gelu", Domain: MSDomain, Op: "FastGelu", Match: matchMatMulInto, Rewrite: rewriteMatMulInto},
	{Name: "matmul-skip-layernorm", Domain: MSDomain, Op: "SkipLayerNormalization", Match: matchMatMulInto, Rewrite: rewriteMatMulInto},
}

func init() {
	Register(Pass{Name: "fuse-matmul", Doc: "absorb weight MatMuls into their bias Add (Gemm for 2-D) and BiasGelu/FastGelu/SkipLayerNormalization consumers (llmc-domain ops, exported as ONNX model-local functions); fold last-axes Transposes into MatMul (FusedMatMul) and Tanh/Relu into Gemm (FusedGemm)", Run: func(c *Context, g *ir.Graph) error {
		_, err := RunRules(c, g, matmulRules)
		return err
	}})
}

type matmulIntoMatch struct {
	mm, cons *ir.Node
	swap     bool // the MatMul operand is the consumer's second input (SkipLayerNormalization's skip, Add's)
}

// weightMatMul returns x's producer when it is a MatMul of a float32 activation of rank >= 2 by a
// constant float32 [K, N] weight whose result only the consumer reads; otherwise a reason.
func weightMatMul(rc *RewriteContext, x *ir.Value) (*ir.Node, string) {
	mm := producer(x, "MatMul")
	if mm == nil {
		return nil, ""
	}
	if rc.Users.Count(x) != 1 {
		return nil, "the MatMul result has other users"
	}
	w := constOf(mm.Inputs[1])
	if w == nil || len(w.Shape) != 2 || w.DType != ir.Float32 {
		return nil, "the MatMul's B is not a constant float32 [K, N] weight"
	}
	if r := rankOf(mm.Inputs[0]); r < 2 || mm.Inputs[0].Type.DType != ir.Float32 {
		return nil, "the MatMul's A is not a float32 tensor of rank >= 2"
	}
	return mm, ""
}

func matchMatMulInto(rc *RewriteContext, n *ir.Node) (any, string) {
	if len(n.Inputs) == 0 {
		return nil, ""
	}
	for i, o := range n.Outputs[1:] {
		if o != nil && rc.Users.Count(o) > 0 && i+1 != 3 {
			return nil, "mean or inv_std_var is used"
		}
	}
	mm, why := weightMatMul(rc, n.Inputs[0])
	if mm != nil {
		return &matmulIntoMatch{mm: mm, cons: n}, ""
	}
	if n.Op == "SkipLayerNormalization" && len(n.Inputs) > 1 && n.Inputs[1] != n.Inputs[0] {
		// LN(input + skip + bias) is symmetric in input and skip.
		if mm2, why2 := weightMatMul(rc, n.Inputs[1]); mm2 != nil {
			return &matmulIntoMatch{mm: mm2, cons: n, swap: true}, ""
		} else if why == "" {
			why = why2
		}
	}
	return nil, why
}

// matchMatMulBias: Add(MatMul(A, W), bias) or Add(bias, MatMul(A, W)) with a constant [N] bias.
func matchMatMulBias(rc *RewriteContext, n *ir.Node) (any, string) {
	if len(n.Inputs) != 2 {
		return nil, ""
	}
	why := ""
	for i := 0; i < 2; i++ {
		mm, w := weightMatMul(rc, n.Inputs[i])
		if mm == nil {
			if w != "" {
				why = w
			}
			continue
		}
		b, wt := constOf(n.Inputs[1-i]), constOf(mm.Inputs[1])
		if b == nil || b.DType != ir.Float32 || len(b.Shape) != 1 || b.Shape[0] != wt.Shape[1] {
			return nil, "the added value is not a constant float32 [N] bias"
		}
		return &matmulIntoMatch{mm: mm, cons: n, swap: i == 1}, ""
	}
	return nil, why
}

func rewriteMatMulInto(rc *RewriteContext, mm any) error {
	m := mm.(*matmulIntoMatch)
	rest := m.cons.Inputs[1:]
	op := "MatMul" + m.cons.Op
	outs := []*ir.Value{m.cons.Outputs[0]}
	if sum := m.cons.Output(3); m.cons.Op == "SkipLayerNormalization" && sum != nil && rc.Users.Count(sum) > 0 {
		op = "MatMulSkipLayerNormalizationSum" // pre-LN: the sum is the residual stream
		outs = append(outs, sum)
	}
	if m.cons.Op == "Add" {
		op = "MatMulBias"
		if rankOf(m.mm.Inputs[0]) == 2 {
			// plain ONNX: Gemm(A, W, bias)
			bias := m.cons.Inputs[1]
			if m.swap {
				bias = m.cons.Inputs[0]
			}
			n, err := rc.G.AddNode(rc.Names, "", "Gemm", []*ir.Value{m.mm.Inputs[0], m.mm.Inputs[1], bias}, 1)
			if err != nil {
				return err
			}
			rc.G.ReplaceUses(m.cons.Outputs[0], n.Outputs[0])
			return nil
		}
	}
	if _, ok := rc.G.Opsets[ir.LLMCDomain]; !ok {
		rc.G.Opsets[ir.LLMCDomain] = 1
	}
	if m.swap {
		rest = append([]*ir.Value{m.cons.Inputs[0]}, m.cons.Inputs[2:]...)
	}
	ins := append([]*ir.Value{m.mm.Inputs[0], m.mm.Inputs[1]}, rest...)
	want := ir.LookupOp(ir.LLMCDomain, op).MaxIn
	w := m.mm.Inputs[1].Type.Shape
	for len(ins) < want {
		ins = append(ins, nil)
	}
	for i, v := range ins {
		if v == nil {
			// absent bias / beta: zeros over the weight's N columns
			ins[i] = rc.G.AddConst(rc.Names, "matmul_zeros", filled(ir.Float32, w[1].Value, 0))
		}
	}
	n, err := rc.G.AddNode(rc.Names, ir.LLMCDomain, op, ins, len(outs), m.cons.Attrs...)
	if err != nil {
		return err
	}
	for i, o := range outs {
		rc.G.ReplaceUses(o, n.Outputs[i])
	}
	return nil
}

type transposedMatMul struct {
	mm             *ir.Node
	a, b           *ir.Value
	transA, transB bool
}

// lastAxesTranspose returns x's producer when it is a Transpose that swaps only the last two
// axes (rank >= 2) and only one node reads its result.
func lastAxesTranspose(rc *RewriteContext, x *ir.Value) *ir.Node {
	t := producer(x, "Transpose")
	if t == nil || rc.Users.Count(x) != 1 {
		return nil
	}
	r := rankOf(t.Inputs[0])
	if r < 2 {
		return nil
	}
	perm := t.AttrInts("perm", nil)
	if len(perm) != r {
		return nil
	}
	for i := 0; i < r-2; i++ {
		if perm[i] != int64(i) {
			return nil
		}
	}
	if perm[r-2] != int64(r-1) || perm[r-1] != int64(r-2) {
		return nil
	}
	return t
}

// matchTransposedMatMul: MatMul whose A or B is a Transpose of the last two axes (K·Qᵀ-style
// products of unfused attention); the float32 result becomes FusedMatMul with trans flags.
func matchTransposedMatMul(rc *RewriteContext, n *ir.Node) (any, string) {
	ta, tb := lastAxesTranspose(rc, n.Inputs[0]), lastAxesTranspose(rc, n.Inputs[1])
	if ta == nil && tb == nil {
		return nil, ""
	}
	if n.Outputs[0].Type.DType != ir.Float32 {
		return nil, "FusedMatMul is float-only here"
	}
	m := &transposedMatMul{mm: n, a: n.Inputs[0], b: n.Inputs[1]}
	if ta != nil {
		m.a, m.transA = ta.Inputs[0], true
	}
	if tb != nil {
		m.b, m.transB = tb.Inputs[0], true
	}
	return m, ""
}

func rewriteTransposedMatMul(rc *RewriteContext, mm any) error {
	m := mm.(*transposedMatMul)
	useMS(rc.G)
	var attrs []ir.Attr
	if m.transA {
		attrs = append(attrs, ir.AInt("transA", 1))
	}
	if m.transB {
		attrs = append(attrs, ir.AInt("transB", 1))
	}
	n, err := rc.G.AddNode(rc.Names, MSDomain, "FusedMatMul", []*ir.Value{m.a, m.b}, 1, attrs...)
	if err != nil {
		return err
	}
	rc.G.ReplaceUses(m.mm.Outputs[0], n.Outputs[0])
	return nil
}

// matchGemmActivation: Tanh or Relu of a float32 Gemm whose result nothing else reads.
func matchGemmActivation(rc *RewriteContext, n *ir.Node) (any, string) {
	g := producer(n.Inputs[0], "Gemm")
	if g == nil {
		return nil, ""
	}
	if rc.Users.Count(n.Inputs[0]) != 1 {
		return nil, "the Gemm result has other users"
	}
	if n.Inputs[0].Type.DType != ir.Float32 {
		return nil, "FusedGemm is float-only here"
	}
	return [2]*ir.Node{g, n}, ""
}

func rewriteGemmActivation(rc *RewriteContext, mm any) error {
	m := mm.([2]*ir.Node)
	g, act := m[0], m[1]
	useMS(rc.G)
	attrs := append([]ir.Attr{ir.AString("activation", act.Op)}, g.Attrs...)
	n, err := rc.G.AddNode(rc.Names, MSDomain, "FusedGemm", g.Inputs, 1, attrs...)
	if err != nil {
		return err
	}
	rc.G.ReplaceUses(act.Outputs[0], n.Outputs[0])
	return nil
}
