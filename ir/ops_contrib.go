package ir

import "fmt"

// ONNX Runtime contrib ops (domain com.microsoft): the fused ops llmc's optimizer produces. Their
// inputs, outputs, attributes and semantics are exactly ONNX Runtime's, so optimized graphs run
// there unchanged.

// MSDomain is ONNX Runtime's contrib-op domain.
const MSDomain = "com.microsoft"

// contribMatMulShape is numpy matmul's shape rule (1-D operands promoted and then dropped).
func contribMatMulShape(a, b Shape) (Shape, error) {
	if len(a) == 0 || len(b) == 0 {
		return nil, fmt.Errorf("matmul operands must have rank >= 1, got %s and %s", a, b)
	}
	aa, bb := a, b
	if len(a) == 1 {
		aa = Shape{D(1), a[0]}
	}
	if len(b) == 1 {
		bb = Shape{b[0], D(1)}
	}
	ka, kb := aa[len(aa)-1], bb[len(bb)-2]
	if ka.IsConcrete() && kb.IsConcrete() && ka.Value != kb.Value {
		return nil, fmt.Errorf("matmul inner dims differ: %s x %s (%d vs %d)", a, b, ka.Value, kb.Value)
	}
	batch, err := BroadcastShapes(aa[:len(aa)-2], bb[:len(bb)-2])
	if err != nil {
		return nil, err
	}
	out := batch
	if len(a) > 1 {
		out = append(out, aa[len(aa)-2])
	}
	if len(b) > 1 {
		out = append(out, bb[len(bb)-1])
	}
	return out, nil
}

// contribFusedOperand applies FusedMatMul's transBatch (move dim 0 to just before the last dim)
// and trans (swap the last two dims) to an operand shape; rank-1 operands are left alone.
func contribFusedOperand(s Shape, transBatch, trans bool) Shape {
	s = s.Clone()
	if len(s) < 2 {
		return s
	}
	if transBatch && len(s) > 2 {
		d0 := s[0]
		copy(s[0:], s[1:len(s)-1])
		s[len(s)-2] = d0
	}
	if trans {
		s[len(s)-1], s[len(s)-2] = s[len(s)-2], s[len(s)-1]
	}
	return s
}

func inferFusedMatMul(c *InferContext) ([]Type, error) {
	n := c.Node
	dt := c.In[0].DType
	as, aok := c.RankedIn(0)
	bs, bok := c.RankedIn(1)
	if !aok || !bok {
		return []Type{UnrankedTensor(dt)}, nil
	}
	a := contribFusedOperand(as, n.AttrInt("transBatchA", 0) != 0, n.AttrInt("transA", 0) != 0)
	b := contribFusedOperand(bs, n.AttrInt("transBatchB", 0) != 0, n.AttrInt("transB", 0) != 0)
	out, err := contribMatMulShape(a, b)
	if err != nil {
		return nil, err
	}
	return []Type{TensorType(dt, out)}, nil
}

// contribMatMulTo returns the inference hook of a matmul of inputs 0 and 1 whose result has the
// element type of input dtIn.
func contribMatMulTo(dtIn int) InferFunc {
	return func(c *InferContext) ([]Type, error) {
		dt := c.In[dtIn].DType
		as, aok := c.RankedIn(0)
		bs, bok := c.RankedIn(1)
		if !aok || !bok {
			return []Type{UnrankedTensor(dt)}, nil
		}
		out, err := contribMatMulShape(as, bs)
		if err != nil {
			return nil, err
		}
		return []Type{TensorType(dt, out)}, nil
	}
}

// inferAttention: input [B, S, D_in], weights [D_in, Q+K+V] -> output [B, S, V],
// present [2, B, num_heads, past+S, head_size].
func inferAttention(c *InferContext) ([]Type, error) {
	n := c.Node
	dt := c.In[0].DType
	heads := n.AttrInt("num_heads", 0)
	if heads <= 0 {
		return nil, fmt.Errorf("num_heads %d must be positive", heads)
	}
	b, s := UnknownDim(), UnknownDim()
	xs, xok := c.RankedIn(0)
	if xok {
		if len(xs) != 3 {
			return nil, fmt.Errorf("input must have rank 3 [batch, sequence, input_hidden], got %s", xs)
		}
		b, s = xs[0], xs[1]
	}
	vHidden, qHidden := UnknownDim(), UnknownDim()
	sizes := n.AttrInts("qkv_hidden_sizes", nil)
	if sizes != nil {
		if len(sizes) != 3 {
			return nil, fmt.Errorf("qkv_hidden_sizes must have 3 elements, got %v", sizes)
		}
		for _, v := range sizes {
			if v <= 0 || v%heads != 0 {
				return nil, fmt.Errorf("qkv_hidden_sizes %v must be positive multiples of num_heads %d", sizes, heads)
			}
		}
		if sizes[0] != sizes[1] {
			return nil, fmt.Errorf("qkv_hidden_sizes %v: Q and K hidden sizes must be equal", sizes)
		}
		qHidden, vHidden = D(sizes[0]), D(sizes[2])
	}
	if ws, ok := c.RankedIn(1); ok {
		if len(ws) != 2 {
			return nil, fmt.Errorf("weights must have rank 2 [input_hidden, 3*hidden], got %s", ws)
		}
		if xok && xs[2].IsConcrete() && ws[0].IsConcrete() && xs[2].Value != ws[0].Value {
			return nil, fmt.Errorf("weights dim 0 is %d, want input_hidden %d", ws[0].Value, xs[2].Value)
		}
		if w := ws[1]; w.IsConcrete() {
			if sizes != nil {
				if w.Value != sizes[0]+sizes[1]+sizes[2] {
					return nil, fmt.Errorf("weights dim 1 is %d, want the sum of qkv_hidden_sizes %v", w.Value, sizes)
				}
			} else {
				if w.Value%3 != 0 || (w.Value/3)%heads != 0 {
					return nil, fmt.Errorf("weights dim 1 is %d, want 3*hidden with hidden a multiple of num_heads %d", w.Value, heads)
				}
				qHidden, vHidden = D(w.Value/3), D(w.Value/3)
			}
		}
	}
	if bs, ok := c.RankedIn(2); ok && c.HasInput(2) && len(bs) != 1 {
		return nil, fmt.Errorf("bias must have rank 1, got %s", bs)
	}
	out := make([]Type, len(n.Outputs))
	out[0] = TensorType(dt, Shape{b, s, vHidden})
	if len(out) > 1 {
		headSize, total := UnknownDim(), UnknownDim()
		if qHidden.IsConcrete() {
			headSize = D(qHidden.Value / heads)
		}
		if ps, ok := c.RankedIn(4); ok && c.HasInput(4) {
			if len(ps) != 5 {
				return nil, fmt.Errorf("past must have rank 5 [2, batch, heads, past_seq, head_size], got %s", ps)
			}
			if n.AttrInt("past_present_share_buffer", 0) != 0 {
				total = ps[3]
			} else if ps[3].IsConcrete() && s.IsConcrete() {
				total = D(ps[3].Value + s.Value)
			}
		} else if !c.HasInput(4) {
			total = s
		}
		out[1] = TensorType(dt, Shape{D(2), b, D(heads), total, headSize})
	}
	return out, nil
}

// inferSkipLayerNorm: output and input_skip_bias_sum have input's type; mean and inv_std_var are
// float32 with the last axis reduced to 1.
func inferSkipLayerNorm(c *InferContext) ([]Type, error) {
	dt := c.In[0].DType
	xs, ok := c.RankedIn(0)
	if ok && len(xs) != 2 && len(xs) != 3 {
		return nil, fmt.Errorf("input must have rank 2 or 3, got %s", xs)
	}
	if gs, gok := c.RankedIn(2); gok && len(gs) != 1 {
		return nil, fmt.Errorf("gamma must have rank 1, got %s", gs)
	}
	if ok && len(xs) > 0 {
		// skip is input-shaped (or, in ONNX Runtime's broadcast forms, [1, S, H] / [S, H]);
		// skip, gamma, beta and bias all run over the hidden (last) axis.
		h := xs[len(xs)-1]
		for i, what := range []string{1: "skip", 2: "gamma", 3: "beta", 4: "bias"} {
			if i == 0 || !c.HasInput(i) {
				continue
			}
			s, sok := c.RankedIn(i)
			if !sok || len(s) == 0 {
				continue
			}
			if d := s[len(s)-1]; d.IsConcrete() && h.IsConcrete() && d.Value != h.Value {
				return nil, fmt.Errorf("%s's last dim is %d, want the hidden size %d of input %s", what, d.Value, h.Value, xs)
			}
			if i == 1 && len(s) > len(xs) {
				return nil, fmt.Errorf("skip %s has a higher rank than input %s", s, xs)
			}
		}
	}
	out := make([]Type, len(c.Node.Outputs))
	for i := range out {
		switch {
		case i == 1 || i == 2:
			if ok {
				s := xs.Clone()
				s[len(s)-1] = D(1)
				out[i] = TensorType(Float32, s)
			} else {
				out[i] = UnrankedTensor(Float32)
			}
		case ok:
			out[i] = TensorType(dt, xs.Clone())
		default:
			out[i] = UnrankedTensor(dt)
		}
	}
	return out, nil
}

// inferSimplifiedLayerNorm: Y has X's type; inv_std_var (float32 by stash_type) has X's shape with
// the normalized axes reduced to 1.
func inferSimplifiedLayerNorm(c *InferContext) ([]Type, error) {
	out := make([]Type, len(c.Node.Outputs))
	out[0] = c.In[0].Clone()
	if len(out) > 1 {
		stash := Float32
		if c.Node.AttrInt("stash_type", 1) == int64(Float64) {
			stash = Float64
		}
		if xs, ok := c.RankedIn(0); ok {
			ax, err := NormalizeAxis(c.Node.AttrInt("axis", -1), len(xs))
			if err != nil {
				return nil, err
			}
			s := xs.Clone()
			for i := ax; i < len(s); i++ {
				s[i] = D(1)
			}
			out[1] = TensorType(stash, s)
		} else {
			out[1] = UnrankedTensor(stash)
		}
	} else if xs, ok := c.RankedIn(0); ok {
		if _, err := NormalizeAxis(c.Node.AttrInt("axis", -1), len(xs)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// inferEmbedLayerNorm: output [B, S, hidden], mask_index [B] int32, embedding_sum [B, S, hidden].
func inferEmbedLayerNorm(c *InferContext) ([]Type, error) {
	// MinIn is 1 in the table because segment_ids (1) and segment_embedding (4) are optional
	// inputs inside the 7 required positions, which CheckNodeContract cannot express.
	if len(c.Node.Inputs) < 7 {
		return nil, fmt.Errorf("has %d inputs, want 7 to 9", len(c.Node.Inputs))
	}
	for _, i := range []int{2, 3, 5, 6} {
		if !c.HasInput(i) {
			return nil, fmt.Errorf("required input %d is missing", i)
		}
	}
	if c.HasInput(1) != c.HasInput(4) {
		return nil, fmt.Errorf("segment_ids and segment_embedding must be given together")
	}
	dt := c.In[2].DType
	b, s, h := UnknownDim(), UnknownDim(), UnknownDim()
	if is, ok := c.RankedIn(0); ok {
		if len(is) != 2 {
			return nil, fmt.Errorf("input_ids must have rank 2 [batch, sequence], got %s", is)
		}
		b, s = is[0], is[1]
	}
	if ws, ok := c.RankedIn(2); ok {
		if len(ws) != 2 {
			return nil, fmt.Errorf("word_embedding must have rank 2 [vocab, hidden], got %s", ws)
		}
		h = ws[1]
	}
	if gs, ok := c.RankedIn(5); ok {
		if len(gs) != 1 {
			return nil, fmt.Errorf("gamma must have rank 1, got %s", gs)
		}
		if !h.IsConcrete() {
			h = gs[0]
		}
	}
	out := make([]Type, len(c.Node.Outputs))
	for i := range out {
		if i == 1 {
			out[i] = TensorType(Int32, Shape{b})
		} else {
			out[i] = TensorType(dt, Shape{b, s, h})
		}
	}
	return out, nil
}

func init() {
	RegisterOp(&OpSchema{Domain: MSDomain, Name: "Attention", Since: 1, Category: "fused",
		Doc:   "multi-head self-attention with packed QKV projection: softmax(QK^T*scale + mask)V per head",
		MinIn: 2, MaxIn: 7, MinOut: 1, MaxOut: 2,
		Attrs: []AttrSpec{optInt("do_rotary", 0), optFloat("mask_filter_value", -10000), req("num_heads", AttrInt),
			optInt("past_present_share_buffer", 0), opt("qkv_hidden_sizes", AttrInts), opt("rotary_embedding_dim", AttrInt),
			opt("scale", AttrFloat), optInt("unidirectional", 0)},
		Infer: inferAttention, Cost: attentionCost})
	RegisterOp(&OpSchema{Domain: MSDomain, Name: "SkipLayerNormalization", Since: 1, Category: "fused",
		Doc:   "LayerNormalization(input + skip + bias) over the last axis with gamma and beta",
		MinIn: 3, MaxIn: 5, MinOut: 1, MaxOut: 4,
		Attrs: []AttrSpec{optFloat("epsilon", 1e-12)},
		Infer: inferSkipLayerNorm})
	RegisterOp(&OpSchema{Name: "SimplifiedLayerNormalization", Since: 1, Category: "fused",
		Doc:   "RMS normalization: X / sqrt(mean(X^2 over axes >= axis) + epsilon) * scale (ONNX Runtime op in the default domain)",
		MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 2,
		Attrs: []AttrSpec{optInt("axis", -1), optFloat("epsilon", 1e-5), optInt("stash_type", 1)},
		Infer: inferSimplifiedLayerNorm})
	RegisterOp(&OpSchema{Domain: MSDomain, Name: "SkipSimplifiedLayerNormalization", Since: 1, Category: "fused",
		Doc:   "RMS normalization of input + skip + bias over the last axis, scaled by gamma",
		MinIn: 3, MaxIn: 4, MinOut: 1, MaxOut: 4,
		Attrs: []AttrSpec{optFloat("epsilon", 1e-12)},
		Infer: inferSkipLayerNorm})
	RegisterOp(&OpSchema{Domain: MSDomain, Name: "EmbedLayerNormalization", Since: 1, Category: "fused",
		Doc:   "BERT embedding: LayerNorm(word[ids] + position[pos] + segment[seg]) plus the mask's per-row token count",
		MinIn: 7, MaxIn: 9, MinOut: 2, MaxOut: 3, OptionalIn: []int{1, 4},
		Attrs: []AttrSpec{optFloat("epsilon", 1e-12), optInt("mask_index_type", 1)},
		Infer: inferEmbedLayerNorm})
	RegisterOp(&OpSchema{Domain: MSDomain, Name: "BiasGelu", Since: 1, Category: "fused", Flags: Elementwise,
		Doc:   "Gelu(A + B) with the exact erf formulation; B is a 1-D bias over the last axis",
		MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Infer: InferBroadcast})
	RegisterOp(&OpSchema{Domain: MSDomain, Name: "FastGelu", Since: 1, Category: "fused", Flags: Elementwise,
		Doc:   "tanh-approximated Gelu of X (+ bias): 0.5x(1 + tanh(sqrt(2/pi)(x + 0.044715x^3)))",
		MinIn: 1, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Infer: InferBroadcast})
	RegisterOp(&OpSchema{Domain: MSDomain, Name: "Gelu", Since: 1, Category: "fused", Flags: Elementwise,
		Doc:   "Gelu(x) = 0.5x(1 + erf(x/sqrt(2)))",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Infer: InferSameAsInput})
	RegisterOp(&OpSchema{Domain: MSDomain, Name: "QuickGelu", Since: 1, Category: "fused", Flags: Elementwise,
		Doc:   "x * sigmoid(alpha * x)",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optFloat("alpha", 1.702)},
		Infer: InferSameAsInput})
	RegisterOp(&OpSchema{Domain: MSDomain, Name: "FusedGemm", Since: 1, Category: "fused",
		Doc:   "Gemm followed by an activation (Relu, Tanh, Sigmoid, LeakyRelu, HardSigmoid; ONNX Runtime's optimizer makes it, e.g. BERT's pooler)",
		MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optFloat("alpha", 1), optFloat("beta", 1), optInt("transA", 0), optInt("transB", 0),
			optString("activation", ""), optFloat("activation_alpha", 0), optFloat("activation_beta", 0), optFloat("activation_gamma", 0)},
		Infer: nnInferGemm, Cost: costFusedGemm})
	RegisterOp(&OpSchema{Domain: MSDomain, Name: "BiasAdd", Since: 1, Category: "fused", Flags: Elementwise,
		Doc:   "X + bias + skip, with X and skip [N, S, C] and bias [C]",
		MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Infer: InferBroadcast})
	RegisterOp(&OpSchema{Domain: MSDomain, Name: "FusedMatMul", Since: 1, Category: "fused",
		Doc:   "alpha * matmul(op(A), op(B)) where op optionally moves dim 0 behind the batch dims (transBatch) and swaps the last two (trans)",
		MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optFloat("alpha", 1), optInt("transA", 0), optInt("transB", 0),
			optInt("transBatchA", 0), optInt("transBatchB", 0)},
		Infer: inferFusedMatMul, Cost: costFusedMatMul})
	RegisterOp(&OpSchema{Domain: MSDomain, Name: "DynamicQuantizeMatMul", Since: 1, Category: "quant",
		Doc:   "matmul of float A, quantized on the fly to uint8 (DynamicQuantizeLinear), with quantized B; rescaled to float, plus bias",
		MinIn: 3, MaxIn: 5, MinOut: 1, MaxOut: 1,
		Infer: contribMatMulTo(0), Cost: contribMatMulCost})
	RegisterOp(&OpSchema{Domain: MSDomain, Name: "MatMulIntegerToFloat", Since: 1, Category: "quant",
		Doc:   "(A - a_zero_point)(B - b_zero_point) * a_scale * b_scale + bias, integer matmul with a float result",
		MinIn: 4, MaxIn: 7, MinOut: 1, MaxOut: 1,
		Infer: contribMatMulTo(2), Cost: contribMatMulCost})
}

// contribTypeBytes sums the bytes of the concretely shaped tensor types in ts.
func contribTypeBytes(ts []Type) int64 {
	var b int64
	for _, t := range ts {
		dims, ok := t.Shape.Ints()
		if !t.Ranked || !ok {
			continue
		}
		n, err := NumElements(dims)
		if err != nil {
			continue
		}
		b += ByteSize(t.DType, n)
	}
	return b
}

// contribDims returns the concrete dims of ts[i], or nil.
func contribDims(ts []Type, i int) []int64 {
	if i >= len(ts) || !ts[i].Ranked {
		return nil
	}
	d, ok := ts[i].Shape.Ints()
	if !ok {
		return nil
	}
	return d
}

// contribMatMulCost: 2*K FLOPs per output element, K the last dim of input 0 (its second to
// last when transA is set).
func contribMatMulCost(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: contribTypeBytes(in) + contribTypeBytes(out)}
	a, y := contribDims(in, 0), contribDims(out, 0)
	if len(a) == 0 || y == nil {
		return c
	}
	k := a[len(a)-1]
	if n.AttrInt("transA", 0) != 0 && len(a) >= 2 {
		k = a[len(a)-2]
	}
	elems, _ := NumElements(y)
	c.FLOPs = 2 * k * elems
	return c
}

// attentionCost: the QKV projection and its bias, QK^T, its scaling, the mask (key padding,
// unidirectional, attention_bias: one op per score each), softmax (5 per score) and the
// products with V. Rotary embedding (do_rotary) is not counted.
func attentionCost(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: contribTypeBytes(in) + contribTypeBytes(out)}
	x, w := contribDims(in, 0), contribDims(in, 1)
	if len(x) != 3 || len(w) != 2 {
		return c
	}
	b, s := x[0], x[1]
	t := s
	if p := contribDims(in, 4); len(p) == 5 && costHasIn(n, in, 4) {
		if n.AttrInt("past_present_share_buffer", 0) != 0 {
			t = p[3]
		} else {
			t = costAdd(t, p[3])
		}
	}
	qkv := n.AttrInts("qkv_hidden_sizes", []int64{w[1] / 3, w[1] / 3, w[1] / 3})
	if len(qkv) != 3 {
		return c
	}
	heads := max(n.AttrInt("num_heads", 1), 1)
	scores := costMul(b, heads, s, t)
	perScore := int64(5) // softmax
	if n.AttrFloat("scale", 0) != 1 {
		perScore++ // the default scale is 1/sqrt(head_size)
	}
	for _, i := range []int{3, 5} { // mask_index, attention_bias
		if costHasIn(n, in, i) {
			perScore++
		}
	}
	if n.AttrInt("unidirectional", 0) != 0 {
		perScore++
	}
	c.FLOPs = costAdd(costMul(2, b, s, x[2], w[1]), costMul(2, b, s, t, qkv[0]), costMul(2, b, s, t, qkv[2]),
		costMul(perScore, scores))
	if costHasIn(n, in, 2) {
		c.FLOPs = costAdd(c.FLOPs, costMul(b, s, w[1]))
	}
	return c
}
