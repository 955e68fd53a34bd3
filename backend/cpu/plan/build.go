package plan

import (
	"fmt"
	"math"
	"strings"

	"github.com/llmc/llmc/backend/cpu"
	"github.com/llmc/llmc/backend/ref"
	"github.com/llmc/llmc/ir"
)

var checkInputs = ref.CheckInputs

type builder struct {
	m     *Model
	p     *Plan
	users map[*ir.Value][]*ir.Node
	outs  map[*ir.Value]bool
	fused map[*ir.Node]bool
	reads [][]*ir.Value // values each step reads (for lifetimes)
	wrote [][]*ir.Value
}

func (b *builder) dims(v *ir.Value) []int64 {
	d, _ := b.p.types[v].Shape.Ints()
	return d
}

func (b *builder) numel(v *ir.Value) int {
	n := 1
	for _, d := range b.dims(v) {
		n *= int(d)
	}
	return n
}

func (b *builder) isF32(vs ...*ir.Value) bool {
	for _, v := range vs {
		if v == nil || b.p.types[v].DType != ir.Float32 {
			return false
		}
	}
	return true
}

// onlyUser returns the single node reading v when v is not a graph output.
func (b *builder) onlyUser(v *ir.Value) *ir.Node {
	if b.outs[v] || len(b.users[v]) != 1 {
		return nil
	}
	return b.users[v][0]
}

// constant returns v's plan-time value (initializer or computed at plan time).
func (b *builder) constant(v *ir.Value) *ir.Tensor {
	if v == nil {
		return nil
	}
	return b.p.known[v]
}

// packed returns the packed form of a constant weight (shared across plans).
func (b *builder) packed(v *ir.Value, transB bool) *cpu.PackedB {
	b.m.packMu.Lock()
	defer b.m.packMu.Unlock()
	if pb := b.m.packed[v]; pb != nil && !transB {
		return pb
	}
	t := b.constant(v).Aligned()
	k, n := int(t.Shape[0]), int(t.Shape[1])
	if transB {
		k, n = n, k
	}
	ld := int(t.Shape[1])
	pb := cpu.PackB(b.m.pool, transB, k, n, t.Float32s(), ld)
	if prec, ok := amxPrecision(b.m.opts.Precision); ok {
		pb.EnableAMX(prec) // false (FP32 only) without AMX-BF16 or with Inf/NaN weights
	}
	if !transB {
		b.m.packed[v] = pb
	}
	return pb
}

func (b *builder) add(n *ir.Node, kind string, flops int64, reads, writes []*ir.Value, run func(e *env) error) {
	b.p.steps = append(b.p.steps, step{node: n, kind: kind, flops: flops, run: run})
	b.reads = append(b.reads, reads)
	b.wrote = append(b.wrote, writes)
}

func build(m *Model, inputs map[string]*ir.Tensor) (*Plan, error) {
	g := m.g
	types, known, err := concreteTypes(g, inputs)
	if err != nil {
		return nil, err
	}
	for v, t := range types {
		if v.Def != nil && known[v] == nil && (t.DType == ir.String || t.DType.Bits()%8 != 0) {
			return nil, fmt.Errorf("value %q: %s tensors are not supported by the CPU backend", v.Name, t.DType)
		}
	}
	p := &Plan{model: m, types: types, bufs: map[*ir.Value]*buffer{}, known: known}
	b := &builder{m: m, p: p, users: map[*ir.Value][]*ir.Node{}, outs: map[*ir.Value]bool{}, fused: map[*ir.Node]bool{}}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != nil {
				b.users[in] = append(b.users[in], n)
			}
		}
	}
	for _, v := range g.Outputs {
		b.outs[v] = true
	}
	for _, n := range g.Nodes {
		if b.fused[n] {
			continue
		}
		done := true
		for _, o := range n.Outputs {
			if o != nil && known[o] == nil {
				done = false
			}
		}
		if done {
			continue
		}
		if err := b.node(n); err != nil {
			return nil, err
		}
	}
	// buffers and lifetimes
	for i := range p.steps {
		for _, v := range b.wrote[i] {
			if v == nil || known[v] != nil {
				continue
			}
			if _, ok := p.bufs[v]; !ok {
				dims, _ := types[v].Shape.Ints()
				cnt, err := ir.NumElements(dims)
				if err != nil || ir.ByteSize(types[v].DType, cnt) > m.opts.MaxMemory {
					return nil, fmt.Errorf("%w: value %q of shape %v is over the %d-byte cap", ref.ErrMemoryLimit, v.Name, dims, m.opts.MaxMemory)
				}
				p.bufs[v] = &buffer{v: v, bytes: ir.ByteSize(types[v].DType, cnt), first: i, last: i}
			}
		}
	}
	for i := range p.steps {
		for _, v := range b.reads[i] {
			if buf := p.bufs[v]; buf != nil {
				buf.last = max(buf.last, i)
			}
		}
	}
	for _, v := range g.Outputs {
		if buf := p.bufs[v]; buf != nil {
			buf.last = len(p.steps)
			buf.isOutput = true
		}
	}
	for _, v := range g.Outputs {
		if p.bufs[v] == nil && known[v] == nil && !isInput(g, v) {
			return nil, fmt.Errorf("output %q is not computed by the plan", v.Name)
		}
	}
	p.allocate()
	if p.arenaSize > m.opts.MaxMemory {
		return nil, fmt.Errorf("%w: the plan needs a %d-byte arena, cap is %d", ref.ErrMemoryLimit, p.arenaSize, m.opts.MaxMemory)
	}
	return p, nil
}

func isInput(g *ir.Graph, v *ir.Value) bool {
	for _, in := range g.Inputs {
		if in == v {
			return true
		}
	}
	return false
}

// node chooses the kernel for n (and possibly fuses its consumer).
func (b *builder) node(n *ir.Node) error {
	if n.Domain == "" {
		switch n.Op {
		case "MatMul":
			if b.matmul(n) {
				return nil
			}
		case "Gemm":
			if b.gemm(n) {
				return nil
			}
		case "LayerNormalization":
			if b.layerNorm(n) {
				return nil
			}
		case "Add", "Sub", "Mul", "Div":
			if b.binary(n) {
				return nil
			}
		case "Tanh", "Erf", "Exp":
			if b.unary(n) {
				return nil
			}
		case "Softmax":
			if b.softmax(n) {
				return nil
			}
		case "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity":
			if b.view(n) {
				return nil
			}
		case "Transpose":
			if b.transpose(n) {
				return nil
			}
		}
	}
	if n.Domain == "com.microsoft" {
		switch n.Op {
		case "Attention":
			if b.attention(n) {
				return nil
			}
		case "SkipLayerNormalization":
			if b.skipLayerNorm(n) {
				return nil
			}
		case "EmbedLayerNormalization":
			if b.embedLayerNorm(n) {
				return nil
			}
		case "FusedMatMul":
			if b.fusedMatMul(n) {
				return nil
			}
		case "FusedGemm":
			if b.gemm(n) {
				return nil
			}
		case "BiasGelu", "FastGelu", "Gelu":
			if b.gelu(n) {
				return nil
			}
		}
	}
	if n.Domain == ir.LLMCDomain && b.llmcMatMul(n) {
		return nil
	}
	return b.fallback(n)
}

// llmcMatMul runs llmc's MatMul-into-consumer ops as one step: the pre-packed GEMM with the
// consumer's bias (and GELU) as its epilogue; for MatMulSkipLayerNormalization the residual add
// and the row normalization then run in place on the GEMM's output.
func (b *builder) llmcMatMul(n *ir.Node) bool {
	a, w, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	wt := b.constant(w)
	ad := b.dims(a)
	if !b.isF32(a, w, y) || wt == nil || len(wt.Shape) != 2 || len(ad) < 2 || ad[len(ad)-1] != wt.Shape[0] {
		return false
	}
	k, nn := int(wt.Shape[0]), int(wt.Shape[1])
	mm := b.numel(a) / k
	ep := &cpu.Epilogue{}
	var skip *ir.Value
	var gamma, beta []float32
	switch n.Op {
	case "MatMulBias":
		ep.Bias = b.vector(n.Inputs[2], nn)
	case "MatMulBiasGelu", "MatMulFastGelu":
		ep.Bias, ep.Act = b.vector(n.Inputs[2], nn), cpu.ActGELU
		if n.Op == "MatMulFastGelu" {
			ep.Act = cpu.ActGELUTanh
		}
	case "MatMulSkipLayerNormalization", "MatMulSkipLayerNormalizationSum":
		skip = n.Inputs[2]
		gamma, beta, ep.Bias = b.vector(n.Inputs[3], nn), b.vector(n.Inputs[4], nn), b.vector(n.Inputs[5], nn)
		if gamma == nil || beta == nil || !b.isF32(skip) || b.numel(skip) != mm*nn {
			return false
		}
	default:
		return false
	}
	if ep.Bias == nil {
		return false
	}
	pb := b.packed(w, false)
	pool := b.m.pool
	flops := 2 * int64(mm) * int64(nn) * int64(k)
	if skip == nil {
		b.add(n, "sgemm+"+strings.TrimPrefix(n.Op, "MatMul"), flops, []*ir.Value{a}, []*ir.Value{y}, func(e *env) error {
			cpu.SgemmPacked(pool, false, mm, 1, e.f32(a), k, pb, 0, e.f32(y), nn, ep)
			return nil
		})
		return true
	}
	eps := n.AttrFloat("epsilon", 1e-12)
	if sumOut := n.Output(1); sumOut != nil {
		// pre-LN: the GEMM (with bias) writes the residual sum, the skip is added in place and
		// the normalized copy goes to y
		b.add(n, "sgemm+SkipLayerNorm", flops, []*ir.Value{a, skip}, []*ir.Value{y, sumOut}, func(e *env) error {
			sum := e.f32(sumOut)
			cpu.SgemmPacked(pool, false, mm, 1, e.f32(a), k, pb, 0, sum, nn, ep)
			cpu.Add(sum, sum, e.f32(skip))
			cpu.LayerNorm(pool, e.f32(y), sum, mm, nn, gamma, beta, eps)
			return nil
		})
		return true
	}
	b.add(n, "sgemm+SkipLayerNorm", flops, []*ir.Value{a, skip}, []*ir.Value{y}, func(e *env) error {
		out := e.f32(y)
		cpu.SgemmPacked(pool, false, mm, 1, e.f32(a), k, pb, 0, out, nn, ep)
		cpu.SkipLayerNorm(pool, out, out, e.f32(skip), nil, mm, nn, gamma, beta, eps)
		return nil
	})
	return true
}

// fallback runs the op's reference evaluation hook on views of the arena and copies the
// results into the planned buffers.
func (b *builder) fallback(n *ir.Node) error {
	s := n.Schema()
	if s == nil || s.Eval == nil {
		return fmt.Errorf("%s: no CPU kernel and no reference implementation", n.Describe())
	}
	g := b.m.g
	outs := n.Outputs
	b.add(n, "ref:"+n.Op, 0, n.Inputs, outs, func(e *env) error {
		args := make([]ir.Datum, len(n.Inputs))
		for i, in := range n.Inputs {
			if in != nil {
				args[i] = e.tensor(in)
			}
		}
		res, err := ref.EvalNode(g, n, args, ref.Options{})
		if err != nil {
			return err
		}
		for i, o := range outs {
			if o == nil || e.plan.known[o] != nil {
				continue
			}
			t, ok := res[i].(*ir.Tensor)
			if !ok {
				return fmt.Errorf("output %d is not a tensor", i)
			}
			dst := e.raw(o)
			if len(t.Raw) != len(dst) {
				return fmt.Errorf("output %q has %d bytes, planned %d", o.Name, len(t.Raw), len(dst))
			}
			copy(dst, t.Raw)
		}
		return nil
	})
	return nil
}

// epilogueConsumer looks for a single consumer of a GEMM output that an epilogue can absorb:
// BiasGelu(y, bias), FastGelu(y[, bias]), Gelu(y), Add(y, bias[N]).
func (b *builder) epilogueConsumer(y *ir.Value, nOut int) (*ir.Node, *cpu.Epilogue) {
	if b.m.opts.NoFusedEpilogues {
		return nil, nil
	}
	c := b.onlyUser(y)
	if c == nil || c.Inputs[0] != y && !(c.Op == "Add" && c.Domain == "" && len(c.Inputs) == 2 && c.Inputs[1] == y) {
		return nil, nil
	}
	vec := func(v *ir.Value) []float32 {
		t := b.constant(v)
		if t == nil || t.DType != ir.Float32 || t.Len() != nOut || (len(t.Shape) != 1 && !(len(t.Shape) == 2 && t.Shape[0] == 1)) {
			return nil
		}
		return t.Aligned().Float32s()
	}
	switch {
	case c.Domain == "com.microsoft" && c.Op == "BiasGelu":
		if bias := vec(c.Inputs[1]); bias != nil {
			return c, &cpu.Epilogue{Bias: bias, Act: cpu.ActGELU}
		}
	case c.Domain == "com.microsoft" && c.Op == "Gelu":
		return c, &cpu.Epilogue{Act: cpu.ActGELU}
	case c.Domain == "com.microsoft" && c.Op == "FastGelu":
		if len(c.Inputs) == 1 || c.Inputs[1] == nil {
			return c, &cpu.Epilogue{Act: cpu.ActGELUTanh}
		}
		if bias := vec(c.Inputs[1]); bias != nil {
			return c, &cpu.Epilogue{Bias: bias, Act: cpu.ActGELUTanh}
		}
	case c.Domain == "" && c.Op == "Add":
		other := c.Inputs[1]
		if other == y {
			other = c.Inputs[0]
		}
		if bias := vec(other); bias != nil {
			return c, &cpu.Epilogue{Bias: bias}
		}
	}
	return nil, nil
}

func (b *builder) matmul(n *ir.Node) bool {
	a, w, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if !b.isF32(a, w, y) {
		return false
	}
	ad := b.dims(a)
	wt := b.constant(w)
	if wt != nil && len(wt.Shape) == 2 && len(ad) >= 2 {
		k, nn := int(wt.Shape[0]), int(wt.Shape[1])
		if int(ad[len(ad)-1]) != k {
			return false
		}
		mm := b.numel(a) / k
		pb := b.packed(w, false)
		out := y
		cons, ep := b.epilogueConsumer(y, nn)
		kind := "sgemm"
		if cons != nil {
			b.fused[cons] = true
			out = cons.Outputs[0]
			kind = "sgemm+" + cons.Op
		}
		pool := b.m.pool
		b.add(n, kind, 2*int64(mm)*int64(nn)*int64(k), []*ir.Value{a}, []*ir.Value{out}, func(e *env) error {
			cpu.SgemmPacked(pool, false, mm, 1, e.f32(a), k, pb, 0, e.f32(out), nn, ep)
			return nil
		})
		return true
	}
	return b.batchedMatMul(n, false, false, 1)
}

// batchedMatMul runs n (MatMul or FusedMatMul) as a batched product of two activations with
// equal leading dims, C_g = alpha·op(A_g)·op(B_g), op transposing the last two axes when asked.
func (b *builder) batchedMatMul(n *ir.Node, transA, transB bool, alpha float32) bool {
	a, w, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	ad, wd := b.dims(a), b.dims(w)
	if !b.isF32(a, w, y) || len(ad) < 2 || len(ad) != len(wd) {
		return false
	}
	batch := 1
	for i := 0; i < len(ad)-2; i++ {
		if ad[i] != wd[i] {
			return false
		}
		batch *= int(ad[i])
	}
	r := len(ad)
	mm, k := int(ad[r-2]), int(ad[r-1])
	if transA {
		mm, k = k, mm
	}
	kb, nn := int(wd[r-2]), int(wd[r-1])
	if transB {
		kb, nn = nn, kb
	}
	if kb != k {
		return false
	}
	lda, ldb := int(ad[r-1]), int(wd[r-1])
	pool := b.m.pool
	b.add(n, "sgemm-batched", 2*int64(batch*mm*nn*k), []*ir.Value{a, w}, []*ir.Value{y}, func(e *env) error {
		cpu.SgemmBatched(pool, batch, 1, transA, transB, mm, nn, k, alpha, e.f32(a), lda, cpu.BatchStrides{Batch: mm * k},
			e.f32(w), ldb, cpu.BatchStrides{Batch: k * nn}, 0, e.f32(y), nn, cpu.BatchStrides{Batch: mm * nn})
		return nil
	})
	return true
}

// fusedMatMul runs com.microsoft FusedMatMul (alpha·op(A)·op(B); ONNX Runtime's optimizer and
// llmc's transpose-into-matmul rule make it): a constant 2-D B goes through the pre-packed GEMM,
// two activations through the batched one. transBatchA/B are left to the reference hook.
func (b *builder) fusedMatMul(n *ir.Node) bool {
	if n.AttrInt("transBatchA", 0) != 0 || n.AttrInt("transBatchB", 0) != 0 {
		return false
	}
	transA, transB := n.AttrInt("transA", 0) != 0, n.AttrInt("transB", 0) != 0
	alpha := n.AttrFloat("alpha", 1)
	a, w, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if wt := b.constant(w); wt != nil && len(wt.Shape) == 2 && !transA && b.isF32(a, w, y) && len(b.dims(a)) >= 2 {
		pb := b.packed(w, transB)
		k, nn := pb.K, pb.N
		if ad := b.dims(a); int(ad[len(ad)-1]) != k {
			return false
		}
		mm := b.numel(a) / k
		pool := b.m.pool
		b.add(n, "sgemm", 2*int64(mm)*int64(nn)*int64(k), []*ir.Value{a}, []*ir.Value{y}, func(e *env) error {
			cpu.SgemmPacked(pool, false, mm, alpha, e.f32(a), k, pb, 0, e.f32(y), nn, nil)
			return nil
		})
		return true
	}
	return b.batchedMatMul(n, transA, transB, alpha)
}

// gemm runs Gemm, and com.microsoft FusedGemm with a Tanh or Relu activation applied to the
// GEMM's output (other activations go to the reference hook).
func (b *builder) gemm(n *ir.Node) bool {
	a, w, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if !b.isF32(a, w, y) || b.constant(w) == nil || len(b.dims(a)) != 2 {
		return false
	}
	act := n.AttrString("activation", "")
	if n.Domain == ir.MSDomain && act != "" && act != "Tanh" && act != "Relu" {
		return false
	}
	transA, transB := n.AttrInt("transA", 0) != 0, n.AttrInt("transB", 0) != 0
	alpha, beta := n.AttrFloat("alpha", 1), n.AttrFloat("beta", 1)
	ad := b.dims(a)
	mm, k := int(ad[0]), int(ad[1])
	if transA {
		mm, k = k, mm
	}
	pb := b.packed(w, transB)
	nn := pb.N
	var ep *cpu.Epilogue
	if c := n.Input(2); c != nil {
		ct := b.constant(c)
		if ct == nil || ct.DType != ir.Float32 || (ct.Len() != nn && ct.Len() != 1) || (len(ct.Shape) == 2 && ct.Shape[0] != 1) {
			return false
		}
		src := ct.Aligned().Float32s()
		bias := make([]float32, nn)
		for j := range bias {
			bias[j] = beta * src[j%len(src)]
		}
		ep = &cpu.Epilogue{Bias: bias}
	}
	pool := b.m.pool
	b.add(n, "sgemm", 2*int64(mm)*int64(nn)*int64(k), []*ir.Value{a}, []*ir.Value{y}, func(e *env) error {
		lda := k
		if transA {
			lda = mm
		}
		out := e.f32(y)
		cpu.SgemmPacked(pool, transA, mm, alpha, e.f32(a), lda, pb, 0, out, nn, ep)
		switch act {
		case "Tanh":
			cpu.Tanh(out, out)
		case "Relu":
			cpu.Relu(out, out)
		}
		return nil
	})
	return true
}

// rowsLast returns (rows, last dim) of v.
func (b *builder) rowsLast(v *ir.Value) (int, int) {
	d := b.dims(v)
	if len(d) == 0 {
		return 1, 1
	}
	last := int(d[len(d)-1])
	if last == 0 {
		return 0, 0
	}
	return b.numel(v) / last, last
}

func (b *builder) vector(v *ir.Value, n int) []float32 {
	t := b.constant(v)
	if t == nil || t.DType != ir.Float32 || t.Len() != n {
		return nil
	}
	return t.Aligned().Float32s()
}

func (b *builder) layerNorm(n *ir.Node) bool {
	x, y := n.Inputs[0], n.Outputs[0]
	r := len(b.dims(x))
	if !b.isF32(x, y) || len(n.Outputs) > 1 && (n.Outputs[1] != nil || len(n.Outputs) > 2 && n.Outputs[2] != nil) {
		return false
	}
	if ax := n.AttrInt("axis", -1); ax != -1 && ax != int64(r-1) {
		return false
	}
	rows, h := b.rowsLast(x)
	gamma := b.vector(n.Inputs[1], h)
	beta := make([]float32, h)
	if bv := n.Input(2); bv != nil {
		if beta = b.vector(bv, h); beta == nil {
			return false
		}
	}
	if gamma == nil {
		return false
	}
	eps := n.AttrFloat("epsilon", 1e-5)
	pool := b.m.pool
	b.add(n, "layernorm", 0, []*ir.Value{x}, []*ir.Value{y}, func(e *env) error {
		cpu.LayerNorm(pool, e.f32(y), e.f32(x), rows, h, gamma, beta, eps)
		return nil
	})
	return true
}

func (b *builder) skipLayerNorm(n *ir.Node) bool {
	x, skip, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if n.Output(1) != nil || n.Output(2) != nil {
		return false // mean and inv_std_var (training) go to the reference hook
	}
	sumOut := n.Output(3) // input_skip_bias_sum: pre-LN residuals
	if !b.isF32(x, skip, y) || b.numel(x) != b.numel(skip) || sumOut != nil && !b.isF32(sumOut) {
		return false
	}
	rows, h := b.rowsLast(x)
	gamma := b.vector(n.Inputs[2], h)
	beta := make([]float32, h)
	if bv := n.Input(3); bv != nil {
		beta = b.vector(bv, h)
	}
	var bias []float32
	if bv := n.Input(4); bv != nil {
		if bias = b.vector(bv, h); bias == nil {
			return false
		}
	}
	if gamma == nil || beta == nil {
		return false
	}
	eps := n.AttrFloat("epsilon", 1e-12)
	pool := b.m.pool
	if sumOut != nil {
		b.add(n, "skiplayernorm", 0, []*ir.Value{x, skip}, []*ir.Value{y, sumOut}, func(e *env) error {
			sum := e.f32(sumOut)
			cpu.Add(sum, e.f32(x), e.f32(skip))
			if bias != nil {
				cpu.RowBroadcast(cpu.OpAdd, sum, sum, rows, h, bias)
			}
			cpu.LayerNorm(pool, e.f32(y), sum, rows, h, gamma, beta, eps)
			return nil
		})
		return true
	}
	b.add(n, "skiplayernorm", 0, []*ir.Value{x, skip}, []*ir.Value{y}, func(e *env) error {
		cpu.SkipLayerNorm(pool, e.f32(y), e.f32(x), e.f32(skip), bias, rows, h, gamma, beta, eps)
		return nil
	})
	return true
}

func (b *builder) embedLayerNorm(n *ir.Node) bool {
	if n.Input(8) != nil { // explicit position ids go to the reference hook
		return false
	}
	mask := n.Input(7) // ONNX Runtime's optimizer feeds the mask here for mask_index
	if mask != nil && b.p.types[mask].DType != ir.Int32 {
		return false
	}
	ids, seg := n.Inputs[0], n.Input(1)
	word, pos, segT := b.constant(n.Inputs[2]), b.constant(n.Inputs[3]), b.constant(n.Input(4))
	y := n.Outputs[0]
	idd := b.dims(ids)
	if len(idd) != 2 || word == nil || pos == nil || word.DType != ir.Float32 || !b.isF32(y) || b.p.types[ids].DType != ir.Int32 {
		return false
	}
	if seg != nil && (segT == nil || b.p.types[seg].DType != ir.Int32) {
		return false
	}
	B, S := int(idd[0]), int(idd[1])
	h := int(word.Shape[1])
	gamma, beta := b.vector(n.Inputs[5], h), b.vector(n.Inputs[6], h)
	if gamma == nil || beta == nil {
		return false
	}
	wv, pv := word.Aligned().Float32s(), pos.Aligned().Float32s()
	var sv []float32
	if segT != nil {
		sv = segT.Aligned().Float32s()
	}
	eps := n.AttrFloat("epsilon", 1e-12)
	maskOut, sumOut := n.Output(1), n.Output(2)
	pool := b.m.pool
	if mask != nil && !sameDims(b.dims(mask), idd) {
		return false
	}
	reads := []*ir.Value{ids}
	for _, v := range []*ir.Value{seg, mask} {
		if v != nil {
			reads = append(reads, v)
		}
	}
	b.add(n, "embedlayernorm", 0, reads, []*ir.Value{y, maskOut, sumOut}, func(e *env) error {
		var segIDs []int32
		if seg != nil {
			segIDs = e.tensor(seg).Int32s()
		}
		if maskOut != nil {
			// mask_index[b]: the number of ones in mask[b] (zeros without a mask)
			mi := e.i32(maskOut)
			clear(mi)
			if mask != nil {
				mv := e.tensor(mask).Int32s()
				for r, v := range mv {
					if v == 1 {
						mi[r/S]++
					}
				}
			}
		}
		if sumOut != nil { // pre-LN: the sum feeds the first residual
			sum := e.f32(sumOut)
			if err := cpu.EmbedSum(sum, e.tensor(ids).Int32s(), segIDs, B, S, h, wv, pv, sv); err != nil {
				return err
			}
			cpu.LayerNorm(pool, e.f32(y), sum, B*S, h, gamma, beta, eps)
			return nil
		}
		return cpu.EmbedLayerNorm(pool, e.f32(y), e.tensor(ids).Int32s(), segIDs, B, S, h, wv, pv, sv, gamma, beta, eps)
	})
	return true
}

func (b *builder) attention(n *ir.Node) bool {
	x, w, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	bias, mask := n.Input(2), n.Input(3)
	if len(n.Inputs) > 4 || n.Output(1) != nil || !b.isF32(x, w, y) || n.AttrInt("unidirectional", 0) != 0 || n.Attr("qkv_hidden_sizes") != nil || n.AttrInt("do_rotary", 0) != 0 {
		return false
	}
	xd := b.dims(x)
	wt := b.constant(w)
	if len(xd) != 3 || wt == nil || len(wt.Shape) != 2 || wt.Shape[1]%3 != 0 {
		return false
	}
	B, S, in := int(xd[0]), int(xd[1]), int(xd[2])
	hid := int(wt.Shape[1]) / 3
	heads := int(n.AttrInt("num_heads", 1))
	if heads <= 0 || hid%heads != 0 {
		return false
	}
	d := hid / heads
	var bv []float32
	if bias != nil {
		if bv = b.vector(bias, 3*hid); bv == nil {
			return false
		}
	}
	var keyMask *ir.Value // the [B, S] key mask built from a 1-D mask_index
	if mask != nil {
		md := b.dims(mask)
		if b.p.types[mask].DType != ir.Int32 {
			return false
		}
		switch {
		case len(md) == 2 && int(md[0]) == B && int(md[1]) == S:
		case len(md) == 2 && md[1] == 1 && (md[0] == 1 || int(md[0]) == B) && S != 1:
			mask = nil // ONNX Runtime's dummy mask: the same as none
		case len(md) == 1 && (int(md[0]) == B || int(md[0]) == 2*B):
			keyMask = b.scratch(n, 4*int64(B*S)) // end (and start) positions, ONNX Runtime's optimizer's form
		default:
			return false
		}
	}
	scale := float32(1 / math.Sqrt(float64(d)))
	if a := n.Attr("scale"); a != nil {
		scale = a.F
	}
	filter := n.AttrFloat("mask_filter_value", -10000)
	pb := b.packed(w, false)
	pool := b.m.pool
	scratch := b.scratch(n, 4*int64(cpu.AttentionScratch(B, S, hid, heads)))
	var ep *cpu.Epilogue
	if bv != nil {
		ep = &cpu.Epilogue{Bias: bv}
	}
	// Two steps, so that --profile tells the QKV projection (a GEMM) from the
	// attention core; the scratch holds the projections between them.
	b.add(n, "attention.qkv", 2*int64(B*S)*int64(in)*int64(3*hid), []*ir.Value{x}, []*ir.Value{scratch}, func(e *env) error {
		cpu.AttentionQKV(pool, e.f32(x), B, S, in, hid, pb, ep, f32(e.raw(scratch)))
		return nil
	})
	reads := []*ir.Value{scratch}
	if mask != nil {
		reads = append(reads, mask)
	}
	b.add(n, "attention.core", 4*int64(B*heads)*int64(S*S*d), reads, []*ir.Value{y, scratch, keyMask}, func(e *env) error {
		var mv []int32
		if mask != nil {
			mv = e.tensor(mask).Int32s()
		}
		if keyMask != nil {
			km := e.i32(keyMask)
			cpu.KeyMaskFromIndex(km, mv, B, S)
			mv = km
		}
		cpu.AttentionCore(pool, e.f32(y), B, S, hid, heads, mv, scale, filter, f32(e.raw(scratch)))
		return nil
	})
	return true
}

// scratch makes a pseudo-value for a step's temporary storage (placed in the arena like any
// intermediate, live only during the step).
func (b *builder) scratch(n *ir.Node, bytes int64) *ir.Value {
	v := &ir.Value{Name: n.Name + "#scratch"}
	b.p.types[v] = ir.TensorType(ir.Uint8, ir.ConcreteShape(bytes))
	return v
}

func (b *builder) gelu(n *ir.Node) bool {
	x, y := n.Inputs[0], n.Outputs[0]
	if !b.isF32(x, y) {
		return false
	}
	rows, h := b.rowsLast(x)
	var bias []float32
	if bv := n.Input(1); bv != nil {
		if bias = b.vector(bv, h); bias == nil {
			return false
		}
	}
	fast := n.Op == "FastGelu"
	b.add(n, "gelu", 0, []*ir.Value{x}, []*ir.Value{y}, func(e *env) error {
		src, dst := e.f32(x), e.f32(y)
		if bias != nil {
			cpu.RowBroadcast(cpu.OpAdd, dst, src, rows, h, bias)
			src = dst
		}
		if fast {
			cpu.GeluTanh(dst, src)
		} else {
			cpu.Gelu(dst, src)
		}
		return nil
	})
	return true
}

func (b *builder) unary(n *ir.Node) bool {
	x, y := n.Inputs[0], n.Outputs[0]
	if !b.isF32(x, y) {
		return false
	}
	f := map[string]func(dst, src []float32){"Tanh": cpu.Tanh, "Erf": cpu.Erf, "Exp": cpu.Exp}[n.Op]
	b.add(n, n.Op, 0, []*ir.Value{x}, []*ir.Value{y}, func(e *env) error {
		f(e.f32(y), e.f32(x))
		return nil
	})
	return true
}

func (b *builder) binary(n *ir.Node) bool {
	a, c, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if !b.isF32(a, c, y) || n.Attr("broadcast") != nil {
		return false
	}
	na, nc, ny := b.numel(a), b.numel(c), b.numel(y)
	op := map[string]cpu.BinaryOp{"Add": cpu.OpAdd, "Sub": cpu.OpSub, "Mul": cpu.OpMul, "Div": cpu.OpDiv}[n.Op]
	full := map[string]func(dst, x, z []float32){"Add": cpu.Add, "Sub": cpu.Sub, "Mul": cpu.Mul, "Div": cpu.Div}[n.Op]
	scalar := map[string]func(dst, x []float32, s float32){"Add": cpu.AddScalar, "Sub": cpu.SubScalar, "Mul": cpu.MulScalar, "Div": cpu.DivScalar}[n.Op]
	commutative := n.Op == "Add" || n.Op == "Mul"
	switch {
	case na == ny && nc == ny && sameDims(b.dims(a), b.dims(c)):
		b.add(n, "elementwise", 0, []*ir.Value{a, c}, []*ir.Value{y}, func(e *env) error {
			full(e.f32(y), e.f32(a), e.f32(c))
			return nil
		})
		return true
	case na == ny && nc == 1, commutative && nc == ny && na == 1:
		big, small := a, c
		if na == 1 {
			big, small = c, a
		}
		b.add(n, "elementwise", 0, []*ir.Value{big, small}, []*ir.Value{y}, func(e *env) error {
			scalar(e.f32(y), e.f32(big), e.f32(small)[0])
			return nil
		})
		return true
	}
	// row broadcast: the smaller operand is a vector over the last axis
	big, small := a, c
	if commutative && nc == ny && na != ny {
		big, small = c, a
	}
	rows, h := b.rowsLast(big)
	if b.numel(big) != ny || b.numel(small) != h || !isRowVector(b.dims(small)) {
		return false
	}
	b.add(n, "elementwise", 0, []*ir.Value{big, small}, []*ir.Value{y}, func(e *env) error {
		cpu.RowBroadcast(op, e.f32(y), e.f32(big), rows, h, e.f32(small))
		return nil
	})
	return true
}

func sameDims(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func isRowVector(d []int64) bool {
	for i := 0; i < len(d)-1; i++ {
		if d[i] != 1 {
			return false
		}
	}
	return len(d) >= 1
}

func (b *builder) softmax(n *ir.Node) bool {
	x, y := n.Inputs[0], n.Outputs[0]
	r := len(b.dims(x))
	ax := n.AttrInt("axis", -1)
	if n.Attr("axis") == nil && b.m.g.OpsetVersion("") < 13 {
		ax = 1
	}
	if !b.isF32(x, y) || (ax != -1 && ax != int64(r-1)) {
		return false
	}
	rows, h := b.rowsLast(x)
	pool := b.m.pool
	b.add(n, "softmax", 0, []*ir.Value{x}, []*ir.Value{y}, func(e *env) error {
		cpu.Softmax(pool, e.f32(y), e.f32(x), rows, h, nil)
		return nil
	})
	return true
}

func (b *builder) view(n *ir.Node) bool {
	x, y := n.Inputs[0], n.Outputs[0]
	if y == nil || b.numel(x) != b.numel(y) || b.p.types[x].DType != b.p.types[y].DType {
		return false
	}
	b.add(n, "copy", 0, []*ir.Value{x}, []*ir.Value{y}, func(e *env) error {
		copy(e.raw(y), e.raw(x))
		return nil
	})
	return true
}

func (b *builder) transpose(n *ir.Node) bool {
	x, y := n.Inputs[0], n.Outputs[0]
	d := b.dims(x)
	perm := n.AttrInts("perm", nil)
	if !b.isF32(x, y) || len(d) != 4 || !sameDims(perm, []int64{0, 2, 1, 3}) {
		return false
	}
	B, S, H, D := int(d[0]), int(d[1]), int(d[2]), int(d[3])
	b.add(n, "transpose", 0, []*ir.Value{x}, []*ir.Value{y}, func(e *env) error {
		cpu.TransposeBSHD(e.f32(y), e.f32(x), B, S, H, D)
		return nil
	})
	return true
}
