package ir

import (
	"fmt"
	"sort"
	"strings"
)

// Neural-network compute and normalization ops: MatMul, Gemm, Einsum, Det, convolutions,
// pooling, normalizations and Dropout. The window geometry (ConvGeometry,
// ConvTransposeGeometry) and the Einsum equation parser (ParseEinsum) are exported because
// inference here and evaluation in backend/ref must agree on them exactly.

// nnConvAttrs are the attributes every convolution-like op accepts.
func nnConvAttrs(extra ...AttrSpec) []AttrSpec {
	return append([]AttrSpec{
		optString("auto_pad", "NOTSET"), opt("dilations", AttrInts), optInt("group", 1),
		opt("kernel_shape", AttrInts), opt("pads", AttrInts), opt("strides", AttrInts),
	}, extra...)
}

func init() {
	RegisterOp(&OpSchema{Name: "MatMul", Since: 1, Category: "nn",
		Doc:   "y = a @ b with numpy semantics: batched over leading dims (broadcast), 1-D operands promoted to matrices",
		MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Infer: nnInferMatMul(0, 1, Undefined), Cost: nnMatMulCost})
	RegisterOp(&OpSchema{Name: "Gemm", Since: 1, Category: "nn",
		Doc:   "y = alpha * op(A) @ op(B) + beta * C, op = optional transpose, C unidirectionally broadcast to [M,N]",
		MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optFloat("alpha", 1), optFloat("beta", 1), optInt("transA", 0), optInt("transB", 0),
			opt("broadcast", AttrInt)}, // broadcast: opset < 7
		Infer: nnInferGemm, Cost: nnGemmCost})
	RegisterOp(&OpSchema{Name: "Einsum", Since: 12, Category: "nn",
		Doc:   "Einstein summation over the inputs as described by equation (explicit or implicit output, ellipsis, repeated labels)",
		MinIn: 1, MaxIn: -1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{req("equation", AttrString)},
		Infer: nnInferEinsum})
	RegisterOp(&OpSchema{Name: "Det", Since: 11, Category: "nn",
		Doc:   "determinant of each square matrix in the trailing two dims of x",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Infer: nnInferDet})
	RegisterOp(&OpSchema{Name: "Conv", Since: 1, Category: "nn",
		Doc:   "y = cross-correlation of x [N,C,D...] with w [M,C/group,k...] plus bias b [M], with strides, dilations, pads, groups",
		MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Attrs: nnConvAttrs(),
		Infer: nnInferConvLike(1, Undefined), Cost: nnConvCost})
	RegisterOp(&OpSchema{Name: "ConvTranspose", Since: 1, Category: "nn",
		Doc:   "y = transposed convolution (gradient of Conv w.r.t. its input) of x [N,C,D...] with w [C,M/group,k...] plus bias",
		MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Attrs: nnConvAttrs(opt("output_padding", AttrInts), opt("output_shape", AttrInts)),
		Infer: nnInferConvTranspose, Cost: nnConvCost})
	poolAttrs := func(extra ...AttrSpec) []AttrSpec {
		return append([]AttrSpec{optString("auto_pad", "NOTSET"), opt("kernel_shape", AttrInts),
			opt("pads", AttrInts), opt("strides", AttrInts)}, extra...)
	}
	RegisterOp(&OpSchema{Name: "AveragePool", Since: 1, Category: "nn",
		Doc:   "y = mean of x over sliding windows of the spatial dims (padding excluded from the count unless count_include_pad)",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: poolAttrs(optInt("ceil_mode", 0), optInt("count_include_pad", 0), opt("dilations", AttrInts)),
		Infer: nnInferPool})
	RegisterOp(&OpSchema{Name: "MaxPool", Since: 1, Category: "nn",
		Doc:   "y = max of x over sliding windows of the spatial dims; optional Indices = flat index of each max (storage_order 1: column-major)",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 2,
		Attrs: poolAttrs(optInt("ceil_mode", 0), opt("dilations", AttrInts), optInt("storage_order", 0)),
		Infer: nnInferPool})
	RegisterOp(&OpSchema{Name: "LpPool", Since: 1, Category: "nn",
		Doc:   "y = (sum of |x|^p over sliding windows of the spatial dims)^(1/p)",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		// p was a float before opset 2; the table declares the current int kind.
		Attrs: poolAttrs(optInt("p", 2), optInt("ceil_mode", 0), opt("dilations", AttrInts)),
		Infer: nnInferPool})
	RegisterOp(&OpSchema{Name: "MaxUnpool", Since: 9, Category: "nn",
		Doc:   "y = zeros with x's values scattered to the flat positions in indices (inverse of MaxPool); optional output_shape input",
		MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{req("kernel_shape", AttrInts), opt("pads", AttrInts), opt("strides", AttrInts)},
		Infer: nnInferMaxUnpool})
	for _, op := range []struct{ name, doc string }{
		{"GlobalAveragePool", "y[n,c,1,...] = mean of x[n,c,...] over all spatial dims"},
		{"GlobalMaxPool", "y[n,c,1,...] = max of x[n,c,...] over all spatial dims"},
		{"GlobalLpPool", "y[n,c,1,...] = (sum of |x[n,c,...]|^p over all spatial dims)^(1/p)"},
	} {
		var attrs []AttrSpec
		if op.name == "GlobalLpPool" {
			attrs = []AttrSpec{optInt("p", 2)} // p was a float before opset 2
		}
		RegisterOp(&OpSchema{Name: op.name, Since: 1, Category: "nn", Doc: op.doc,
			MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1, Attrs: attrs, Infer: nnInferGlobalPool})
	}
	RegisterOp(&OpSchema{Name: "BatchNormalization", Since: 1, Category: "nn",
		Doc:   "y = scale*(x-mean)/sqrt(var+epsilon)+B per channel (dim 1); training_mode uses batch statistics and also returns running stats",
		MinIn: 5, MaxIn: 5, MinOut: 1, MaxOut: 5,
		Attrs: []AttrSpec{optFloat("epsilon", 1e-5), optFloat("momentum", 0.9), optInt("training_mode", 0),
			// legacy (opset < 9 / < 7 / 1)
			opt("spatial", AttrInt), opt("is_test", AttrInt), opt("consumed_inputs", AttrInts)},
		Infer: nnInferBatchNorm})
	RegisterOp(&OpSchema{Name: "InstanceNormalization", Since: 1, Category: "nn",
		Doc:   "y = scale[c]*(x-mean)/sqrt(var+epsilon)+B[c], statistics over the spatial dims of each (n,c)",
		MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optFloat("epsilon", 1e-5), opt("consumed_inputs", AttrInts)},
		Infer: nnInferFirstSame})
	// ONNX added LayerNormalization at opset 17; ONNX Runtime has registered the same op in the
	// default domain from opset 1 (as it does SimplifiedLayerNormalization), and the models its
	// optimizer saves use it at older opsets, so it is accepted at any opset. llmc's own fusion
	// raises the model to opset 17 (passes/fuse_opset.go), so the graphs it writes stay valid ONNX.
	RegisterOp(&OpSchema{Name: "LayerNormalization", Since: 1, Category: "nn",
		Doc:   "y = (x-mean)/sqrt(var+epsilon)*scale+B, statistics over dims [axis,rank); optional Mean and InvStdDev outputs (ONNX opset 17; ONNX Runtime's default-domain contrib op before)",
		MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 3,
		Attrs: []AttrSpec{optInt("axis", -1), optFloat("epsilon", 1e-5), optInt("stash_type", 1)},
		Infer: nnInferLayerNorm})
	RegisterOp(&OpSchema{Name: "GroupNormalization", Since: 18, Category: "nn",
		Doc:   "y = (x-mean)/sqrt(var+epsilon)*scale+bias, statistics over each group of C/num_groups channels and the spatial dims",
		MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optFloat("epsilon", 1e-5), req("num_groups", AttrInt), optInt("stash_type", 1)},
		Infer: nnInferFirstSame})
	RegisterOp(&OpSchema{Name: "MeanVarianceNormalization", Since: 9, Category: "nn",
		Doc:   "y = (x - mean(x, axes)) / sqrt(var(x, axes)) with epsilon 1e-9 inside the root",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{{Name: "axes", Kind: AttrInts, Default: &Attr{Name: "axes", Kind: AttrInts, Ints: []int64{0, 2, 3}}}},
		Infer: nnInferFirstSame})
	RegisterOp(&OpSchema{Name: "LpNormalization", Since: 1, Category: "nn",
		Doc:   "y = x / ||x||_p along axis (p = 1 or 2)",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("axis", -1), optInt("p", 2)},
		Infer: nnInferFirstSame})
	RegisterOp(&OpSchema{Name: "LRN", Since: 1, Category: "nn",
		Doc:   "y = x / (bias + alpha/size * sum of x^2 over size neighbouring channels)^beta",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optFloat("alpha", 1e-4), optFloat("beta", 0.75), optFloat("bias", 1), req("size", AttrInt)},
		Infer: nnInferFirstSame})
	RegisterOp(&OpSchema{Name: "Dropout", Since: 1, Category: "nn", Flags: Nondeterministic,
		Doc:   "y = x in inference; in training (training_mode input, opset >= 12) y = mask*x/(1-ratio) with a random keep mask",
		MinIn: 1, MaxIn: 3, MinOut: 1, MaxOut: 2,
		Attrs: []AttrSpec{opt("seed", AttrInt), opt("ratio", AttrFloat), opt("is_test", AttrInt), opt("consumed_inputs", AttrInts)},
		Infer: nnInferDropout})
}

// nnInferFirstSame: the single output has input 0's type.
func nnInferFirstSame(c *InferContext) ([]Type, error) {
	return []Type{c.In[0].Clone()}, nil
}

// nnMergeDim combines two dims that must be equal: concrete wins over symbolic; a contradiction
// between concrete sizes is an error.
func nnMergeDim(a, b Dim) (Dim, bool) {
	switch {
	case a.IsConcrete() && b.IsConcrete():
		return a, a.Value == b.Value
	case a.IsConcrete():
		return a, true
	case b.IsConcrete():
		return b, true
	case a.IsSymbolic():
		return a, true
	}
	return b, true
}

// MatMulShape returns the numpy matmul result shape of a @ b: 1-D operands are promoted (a to
// [1,K], b to [K,1]) and the promoted dim dropped from the result; batch dims broadcast.
func MatMulShape(a, b Shape) (Shape, error) {
	if len(a) == 0 || len(b) == 0 {
		return nil, fmt.Errorf("matmul operands must have rank >= 1, got shapes %v and %v", a, b)
	}
	pa, pb := a, b
	if len(a) == 1 {
		pa = Shape{D(1), a[0]}
	}
	if len(b) == 1 {
		pb = Shape{b[0], D(1)}
	}
	ka, kb := pa[len(pa)-1], pb[len(pb)-2]
	if ka.IsConcrete() && kb.IsConcrete() && ka.Value != kb.Value {
		return nil, fmt.Errorf("matmul inner dims differ: %v @ %v (%d vs %d)", a, b, ka.Value, kb.Value)
	}
	batch, err := BroadcastShapes(pa[:len(pa)-2], pb[:len(pb)-2])
	if err != nil {
		return nil, fmt.Errorf("matmul batch dims: %v", err)
	}
	out := append(Shape{}, batch...)
	if len(a) > 1 {
		out = append(out, pa[len(pa)-2])
	}
	if len(b) > 1 {
		out = append(out, pb[len(pb)-1])
	}
	return out, nil
}

// nnInferMatMul infers a matmul of inputs ia and ib; the element type is dt, or input ia's when
// dt is Undefined.
func nnInferMatMul(ia, ib int, dt DType) InferFunc {
	return func(c *InferContext) ([]Type, error) {
		odt := dt
		if odt == Undefined {
			odt = c.In[ia].DType
		}
		a, okA := c.RankedIn(ia)
		b, okB := c.RankedIn(ib)
		if !okA || !okB {
			return []Type{UnrankedTensor(odt)}, nil
		}
		s, err := MatMulShape(a, b)
		if err != nil {
			return nil, err
		}
		return []Type{TensorType(odt, s)}, nil
	}
}

func nnTypeBytes(ts []Type) int64 {
	var n int64
	for _, t := range ts {
		if !t.Ranked {
			continue
		}
		dims, ok := t.Shape.Ints()
		if !ok {
			continue
		}
		e, err := NumElements(dims)
		if err != nil {
			continue
		}
		n += ByteSize(t.DType, e)
	}
	return n
}

func nnNumel(t Type) (int64, bool) {
	if !t.Ranked {
		return 0, false
	}
	dims, ok := t.Shape.Ints()
	if !ok {
		return 0, false
	}
	n, err := NumElements(dims)
	return n, err == nil
}

// nnMatMulCost: 2*K FLOPs per output element, K the contracted size of input 0.
func nnMatMulCost(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: nnTypeBytes(in) + nnTypeBytes(out)}
	if len(in) < 1 || len(out) < 1 || !in[0].Ranked || len(in[0].Shape) == 0 {
		return c
	}
	k := in[0].Shape[len(in[0].Shape)-1]
	if e, ok := nnNumel(out[0]); ok && k.IsConcrete() {
		c.FLOPs = 2 * e * k.Value
	}
	return c
}

// nnGemmCost: 2*K FLOPs per output element for the products, plus one per element for the
// alpha scaling (unless alpha is 1), and with C the add and the beta scaling (unless beta is 1).
func nnGemmCost(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: nnTypeBytes(in) + nnTypeBytes(out)}
	if len(in) < 1 || len(out) < 1 || !in[0].Ranked || len(in[0].Shape) != 2 {
		return c
	}
	k := in[0].Shape[1]
	if n.AttrInt("transA", 0) != 0 {
		k = in[0].Shape[0]
	}
	if e, ok := nnNumel(out[0]); ok && k.IsConcrete() {
		c.FLOPs = costMul(2, e, k.Value)
		per := int64(0)
		if n.AttrFloat("alpha", 1) != 1 {
			per++
		}
		if costHasIn(n, in, 2) {
			per++
			if n.AttrFloat("beta", 1) != 1 {
				per++
			}
		}
		c.FLOPs = costAdd(c.FLOPs, costMul(per, e))
	}
	return c
}

// nnConvCost: 2 * (weight elements / M) FLOPs per output element (each output reads C/group*k
// inputs); ConvTranspose does the same work per input element.
func nnConvCost(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: nnTypeBytes(in) + nnTypeBytes(out)}
	if len(in) < 2 || len(out) < 1 {
		return c
	}
	w, ok := nnNumel(in[1])
	if !ok || len(in[1].Shape) < 1 {
		return c
	}
	if n.Op == "ConvTranspose" {
		x, ok := nnNumel(in[0])
		if ok && len(in[0].Shape) >= 2 && in[0].Shape[1].IsConcrete() && in[0].Shape[1].Value > 0 {
			c.FLOPs = 2 * x * (w / in[0].Shape[1].Value)
		}
		return c
	}
	m := in[1].Shape[0]
	if e, ok := nnNumel(out[0]); ok && m.IsConcrete() && m.Value > 0 {
		c.FLOPs = 2 * e * (w / m.Value)
	}
	return c
}

func nnInferGemm(c *InferContext) ([]Type, error) {
	dt := c.In[0].DType
	a, okA := c.RankedIn(0)
	b, okB := c.RankedIn(1)
	m, nn := UnknownDim(), UnknownDim()
	var ka, kb Dim
	if okA {
		if len(a) != 2 {
			return nil, fmt.Errorf("gemm: A must be rank 2, got %v", a)
		}
		m, ka = a[0], a[1]
		if c.Node.AttrInt("transA", 0) != 0 {
			m, ka = a[1], a[0]
		}
	}
	if okB {
		if len(b) != 2 {
			return nil, fmt.Errorf("gemm: B must be rank 2, got %v", b)
		}
		kb, nn = b[0], b[1]
		if c.Node.AttrInt("transB", 0) != 0 {
			kb, nn = b[1], b[0]
		}
	}
	if okA && okB {
		if _, ok := nnMergeDim(ka, kb); !ok {
			return nil, fmt.Errorf("gemm: inner dims differ: A %v, B %v (transA=%d, transB=%d)", a, b, c.Node.AttrInt("transA", 0), c.Node.AttrInt("transB", 0))
		}
	}
	if cs, ok := c.RankedIn(2); ok && c.HasInput(2) {
		if len(cs) > 2 {
			return nil, fmt.Errorf("gemm: C must have rank <= 2, got %v", cs)
		}
		want := Shape{m, nn}
		for i := range cs {
			d, w := cs[i], want[2-len(cs)+i]
			if d.IsConcrete() && w.IsConcrete() && d.Value != 1 && d.Value != w.Value {
				return nil, fmt.Errorf("gemm: C of shape %v does not broadcast to [%v,%v]", cs, m, nn)
			}
		}
	}
	return []Type{TensorType(dt, Shape{m, nn})}, nil
}

func nnInferDet(c *InferContext) ([]Type, error) {
	s, ok := c.RankedIn(0)
	if !ok {
		return []Type{UnrankedTensor(c.In[0].DType)}, nil
	}
	if len(s) < 2 {
		return nil, fmt.Errorf("det: input must have rank >= 2, got %v", s)
	}
	r, q := s[len(s)-2], s[len(s)-1]
	if r.IsConcrete() && q.IsConcrete() && r.Value != q.Value {
		return nil, fmt.Errorf("det: matrices must be square, got shape %v", s)
	}
	return []Type{TensorType(c.In[0].DType, s[:len(s)-2].Clone())}, nil
}

// ---- Einsum ----

// EinsumSpec is a parsed Einsum equation. Labels are ints: letters map to their byte value and
// the dims covered by an ellipsis to EinsumEllipsisBase+j (j counted from the left of the
// broadcast ellipsis dims, right-aligned across inputs as numpy does).
type EinsumSpec struct {
	Inputs [][]int // labels of each input dim
	Output []int   // labels of each output dim
}

// EinsumEllipsisBase is the first label used for ellipsis dims.
const EinsumEllipsisBase = 1000

func einsumTerm(term string, rank int, what string) (labels []int, ell int, err error) {
	term = strings.TrimSpace(term)
	letters := 0
	hasEll := false
	for i := 0; i < len(term); i++ {
		ch := term[i]
		switch {
		case ch == '.':
			if hasEll || !strings.HasPrefix(term[i:], "...") {
				return nil, 0, fmt.Errorf("einsum: malformed ellipsis in %s %q", what, term)
			}
			hasEll = true
			i += 2
		case ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z':
			letters++
		case ch == ' ':
		default:
			return nil, 0, fmt.Errorf("einsum: invalid character %q in %s %q", ch, what, term)
		}
	}
	ell = -1
	if rank >= 0 {
		if hasEll {
			ell = rank - letters
			if ell < 0 {
				return nil, 0, fmt.Errorf("einsum: %s %q has %d labels but rank %d", what, term, letters, rank)
			}
		} else if letters != rank {
			return nil, 0, fmt.Errorf("einsum: %s %q has %d labels but rank %d", what, term, letters, rank)
		}
	} else if hasEll {
		ell = -2 // output ellipsis: expanded by the caller
	}
	for i := 0; i < len(term); i++ {
		ch := term[i]
		switch {
		case ch == '.':
			i += 2
			labels = append(labels, -1) // placeholder for the ellipsis
		case ch != ' ':
			labels = append(labels, int(ch))
		}
	}
	return labels, ell, nil
}

// ParseEinsum parses equation for inputs of the given ranks.
func ParseEinsum(eq string, ranks []int) (*EinsumSpec, error) {
	lhs, rhs, explicit := strings.Cut(eq, "->")
	terms := strings.Split(lhs, ",")
	if len(terms) != len(ranks) {
		return nil, fmt.Errorf("einsum: equation %q has %d input terms, but there are %d inputs", eq, len(terms), len(ranks))
	}
	sp := &EinsumSpec{}
	ellRank := 0
	ells := make([]int, len(terms))
	raw := make([][]int, len(terms))
	for i, t := range terms {
		ls, e, err := einsumTerm(t, ranks[i], fmt.Sprintf("input %d", i))
		if err != nil {
			return nil, err
		}
		raw[i], ells[i] = ls, e
		ellRank = max(ellRank, e)
	}
	count := map[int]int{}
	for i, ls := range raw {
		var out []int
		for _, l := range ls {
			if l == -1 {
				for j := 0; j < ells[i]; j++ {
					out = append(out, EinsumEllipsisBase+ellRank-ells[i]+j)
				}
				continue
			}
			out = append(out, l)
			count[l]++
		}
		sp.Inputs = append(sp.Inputs, out)
	}
	if explicit {
		ls, e, err := einsumTerm(rhs, -1, "output")
		if err != nil {
			return nil, err
		}
		seen := map[int]bool{}
		for _, l := range ls {
			if l == -1 {
				if e != -2 {
					return nil, fmt.Errorf("einsum: malformed output %q", rhs)
				}
				for j := 0; j < ellRank; j++ {
					sp.Output = append(sp.Output, EinsumEllipsisBase+j)
				}
				continue
			}
			if seen[l] {
				return nil, fmt.Errorf("einsum: output label %q repeated in %q", rune(l), eq)
			}
			if count[l] == 0 {
				return nil, fmt.Errorf("einsum: output label %q does not occur in the inputs of %q", rune(l), eq)
			}
			seen[l] = true
			sp.Output = append(sp.Output, l)
		}
		return sp, nil
	}
	for j := 0; j < ellRank; j++ {
		sp.Output = append(sp.Output, EinsumEllipsisBase+j)
	}
	var once []int
	for l, n := range count {
		if n == 1 {
			once = append(once, l)
		}
	}
	sort.Ints(once)
	sp.Output = append(sp.Output, once...)
	return sp, nil
}

func nnInferEinsum(c *InferContext) ([]Type, error) {
	eq := c.Node.AttrString("equation", "")
	dt := c.In[0].DType
	ranks := make([]int, len(c.In))
	shapes := make([]Shape, len(c.In))
	for i := range c.In {
		s, ok := c.RankedIn(i)
		if !ok {
			return []Type{UnrankedTensor(dt)}, nil
		}
		ranks[i], shapes[i] = len(s), s
	}
	sp, err := ParseEinsum(eq, ranks)
	if err != nil {
		return nil, err
	}
	dims := map[int]Dim{}
	for i, ls := range sp.Inputs {
		for j, l := range ls {
			d := shapes[i][j]
			prev, ok := dims[l]
			switch {
			case !ok:
				dims[l] = d
			case d.IsConcrete() && d.Value == 1:
			case prev.IsConcrete() && prev.Value == 1:
				dims[l] = d
			default:
				m, ok := nnMergeDim(prev, d)
				if !ok {
					return nil, fmt.Errorf("einsum %q: label %q has sizes %d and %d", eq, rune(l), prev.Value, d.Value)
				}
				dims[l] = m
			}
		}
	}
	out := make(Shape, len(sp.Output))
	for i, l := range sp.Output {
		out[i] = dims[l]
	}
	return []Type{TensorType(dt, out)}, nil
}

// ---- convolution and pooling geometry ----

// ConvGeom is the resolved window geometry over the spatial axes of a convolution or pool.
type ConvGeom struct {
	Kernel, Strides, Dilations []int64
	PadBegin, PadEnd           []int64
	OutputPadding              []int64 // ConvTranspose only
	Out                        []int64 // output spatial sizes; -1 where the input size is unknown
}

func nnIntsAttr(n *Node, name string, rank int, def int64) ([]int64, error) {
	v := n.AttrInts(name, nil)
	if v == nil {
		out := make([]int64, rank)
		for i := range out {
			out[i] = def
		}
		return out, nil
	}
	if len(v) != rank {
		return nil, fmt.Errorf("%s has %d values, want %d (one per spatial dim)", name, len(v), rank)
	}
	for _, x := range v {
		if x > nnMaxWindow || x < -nnMaxWindow {
			return nil, fmt.Errorf("%s %v: value %d is implausibly large (limit %d)", name, v, x, int64(nnMaxWindow))
		}
	}
	return append([]int64{}, v...), nil
}

// nnMaxWindow bounds kernel sizes, strides, dilations and pads so that window arithmetic cannot
// overflow int64.
const nnMaxWindow = 1 << 31

func nnWindowAttrs(n *Node, kernel []int64) (g ConvGeom, err error) {
	r := len(kernel)
	g.Kernel = kernel
	for i, k := range kernel {
		if k <= 0 || k > nnMaxWindow {
			return g, fmt.Errorf("kernel_shape %v: dim %d must be in [1, %d]", kernel, i, int64(nnMaxWindow))
		}
	}
	if g.Strides, err = nnIntsAttr(n, "strides", r, 1); err != nil {
		return g, err
	}
	if g.Dilations, err = nnIntsAttr(n, "dilations", r, 1); err != nil {
		return g, err
	}
	for i := 0; i < r; i++ {
		if g.Strides[i] <= 0 || g.Dilations[i] <= 0 {
			return g, fmt.Errorf("strides %v and dilations %v must be positive", g.Strides, g.Dilations)
		}
	}
	pads, err := nnIntsAttr(n, "pads", 2*r, 0)
	if err != nil {
		return g, err
	}
	for _, p := range pads {
		if p < 0 {
			return g, fmt.Errorf("pads %v must be non-negative", pads)
		}
	}
	g.PadBegin, g.PadEnd = pads[:r], pads[r:]
	return g, nil
}

// ConvGeometry resolves strides, dilations, padding (auto_pad included) and output sizes of a
// convolution or pooling node over input spatial sizes in (-1: unknown) with the given kernel.
// ceil selects ceil_mode output sizes (pools); a window that would start in the end padding is
// dropped, as in the ONNX reference.
func ConvGeometry(n *Node, in, kernel []int64, ceil bool) (ConvGeom, error) {
	if len(kernel) != len(in) {
		return ConvGeom{}, fmt.Errorf("kernel has %d spatial dims, input has %d", len(kernel), len(in))
	}
	g, err := nnWindowAttrs(n, kernel)
	if err != nil {
		return g, err
	}
	autoPad := n.AttrString("auto_pad", "NOTSET")
	g.Out = make([]int64, len(in))
	for i, d := range in {
		ek := (kernel[i]-1)*g.Dilations[i] + 1
		s := g.Strides[i]
		switch autoPad {
		case "NOTSET", "":
		case "VALID":
			g.PadBegin[i], g.PadEnd[i] = 0, 0
		case "SAME_UPPER", "SAME_LOWER":
			if d < 0 {
				g.Out[i] = -1
				continue
			}
			o := (d + s - 1) / s
			total := max(0, (o-1)*s+ek-d)
			small := total / 2
			if autoPad == "SAME_UPPER" {
				g.PadBegin[i], g.PadEnd[i] = small, total-small
			} else {
				g.PadBegin[i], g.PadEnd[i] = total-small, small
			}
			g.Out[i] = o
			continue
		default:
			return g, fmt.Errorf("unknown auto_pad %q (want NOTSET, SAME_UPPER, SAME_LOWER or VALID)", autoPad)
		}
		if d < 0 {
			g.Out[i] = -1
			continue
		}
		span := d + g.PadBegin[i] + g.PadEnd[i] - ek
		if span < 0 {
			return g, fmt.Errorf("window of extent %d (kernel %d, dilation %d) is larger than the padded input size %d", ek, kernel[i], g.Dilations[i], d+g.PadBegin[i]+g.PadEnd[i])
		}
		o := span/s + 1
		if ceil {
			o = (span+s-1)/s + 1
			if (o-1)*s >= d+g.PadBegin[i] {
				o--
			}
		}
		g.Out[i] = o
	}
	return g, nil
}

// ConvTransposeGeometry resolves the geometry of a ConvTranspose node: output sizes from
// output_shape (pads then derived) or from strides, output_padding and pads.
func ConvTransposeGeometry(n *Node, in, kernel []int64) (ConvGeom, error) {
	if len(kernel) != len(in) {
		return ConvGeom{}, fmt.Errorf("kernel has %d spatial dims, input has %d", len(kernel), len(in))
	}
	g, err := nnWindowAttrs(n, kernel)
	if err != nil {
		return g, err
	}
	r := len(in)
	if g.OutputPadding, err = nnIntsAttr(n, "output_padding", r, 0); err != nil {
		return g, err
	}
	outShape := n.AttrInts("output_shape", nil)
	if len(outShape) == r+2 {
		outShape = outShape[2:]
	}
	if outShape != nil && len(outShape) != r {
		return g, fmt.Errorf("output_shape %v has %d values, want %d", outShape, len(outShape), r)
	}
	autoPad := n.AttrString("auto_pad", "NOTSET")
	switch autoPad {
	case "NOTSET", "", "VALID", "SAME_UPPER", "SAME_LOWER":
	default:
		return g, fmt.Errorf("unknown auto_pad %q (want NOTSET, SAME_UPPER, SAME_LOWER or VALID)", autoPad)
	}
	g.Out = make([]int64, r)
	for i, d := range in {
		ek := (kernel[i]-1)*g.Dilations[i] + 1
		s := g.Strides[i]
		if autoPad == "VALID" {
			g.PadBegin[i], g.PadEnd[i] = 0, 0
		}
		want := int64(-1)
		switch {
		case outShape != nil:
			want = outShape[i]
		case autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER":
			if d >= 0 {
				want = d * s
			}
		}
		if d < 0 {
			g.Out[i] = want
			continue
		}
		full := s*(d-1) + g.OutputPadding[i] + ek
		if outShape != nil || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" {
			if want < 0 {
				return g, fmt.Errorf("output_shape %v must be non-negative", outShape)
			}
			// A negative total pads the end: the output extends past the full result.
			total := full - want
			half := total >> 1 // floor(total/2), also for negative totals
			if autoPad == "SAME_UPPER" {
				g.PadBegin[i], g.PadEnd[i] = half, total-half
			} else {
				g.PadBegin[i], g.PadEnd[i] = total-half, half
			}
			g.Out[i] = want
			continue
		}
		o := full - g.PadBegin[i] - g.PadEnd[i]
		if o < 0 {
			return g, fmt.Errorf("pads %v/%v exceed the output size %d", g.PadBegin, g.PadEnd, full)
		}
		g.Out[i] = o
	}
	return g, nil
}

// nnSpatial returns the sizes of dims [2:] of s (-1 for non-concrete).
func nnSpatial(s Shape) []int64 {
	out := make([]int64, len(s)-2)
	for i := range out {
		d := s[i+2]
		out[i] = -1
		if d.IsConcrete() {
			out[i] = d.Value
		}
	}
	return out
}

// nnOutDims turns resolved output sizes into dims, keeping an input symbol where the window is
// the identity on that axis (so "sequence"-like dims survive 1x1 convolutions and SAME padding).
func nnOutDims(g ConvGeom, in Shape, autoPad string) Shape {
	out := make(Shape, len(g.Out))
	for i, o := range g.Out {
		d := in[i+2]
		switch {
		case o >= 0:
			out[i] = D(o)
		case g.Strides[i] == 1 && (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" ||
			(g.Kernel[i]-1)*g.Dilations[i] == 0 && g.PadBegin[i]+g.PadEnd[i] == 0):
			out[i] = d
		default:
			out[i] = UnknownDim()
		}
	}
	return out
}

// nnInferConvLike infers Conv-shaped outputs: x [N,C,D...] and w [M,C/group,k...] at inputs 0
// and wIdx; result [N,M,O...] of element type dt (input 0's when Undefined).
func nnInferConvLike(wIdx int, dt DType) InferFunc {
	return func(c *InferContext) ([]Type, error) {
		odt := dt
		if odt == Undefined {
			odt = c.In[0].DType
		}
		x, okX := c.RankedIn(0)
		w, okW := c.RankedIn(wIdx)
		if !okX {
			return []Type{UnrankedTensor(odt)}, nil
		}
		if len(x) < 3 {
			return nil, fmt.Errorf("input must have rank >= 3 ([N,C,spatial...]), got %v", x)
		}
		group := c.Node.AttrInt("group", 1)
		if group <= 0 {
			return nil, fmt.Errorf("group %d must be positive", group)
		}
		r := len(x) - 2
		m := UnknownDim()
		kernel := c.Node.AttrInts("kernel_shape", nil)
		if okW {
			if len(w) != len(x) {
				return nil, fmt.Errorf("weight rank %d (%v) differs from input rank %d (%v)", len(w), w, len(x), x)
			}
			m = w[0]
			if x[1].IsConcrete() && w[1].IsConcrete() && x[1].Value != w[1].Value*group {
				return nil, fmt.Errorf("input has %d channels, weight expects %d (C/group = %d, group %d)", x[1].Value, w[1].Value*group, w[1].Value, group)
			}
			if m.IsConcrete() && m.Value%group != 0 {
				return nil, fmt.Errorf("output channels %d not divisible by group %d", m.Value, group)
			}
			if kernel == nil {
				if ks, ok := w[2:].Ints(); ok {
					kernel = ks
				}
			} else if len(kernel) == r {
				for i, k := range kernel {
					if d := w[2+i]; d.IsConcrete() && d.Value != k {
						return nil, fmt.Errorf("kernel_shape %v disagrees with weight shape %v", kernel, w)
					}
				}
			}
		}
		out := Shape{x[0], m}
		if kernel == nil {
			for i := 0; i < r; i++ {
				out = append(out, UnknownDim())
			}
			return []Type{TensorType(odt, out)}, nil
		}
		g, err := ConvGeometry(c.Node, nnSpatial(x), kernel, false)
		if err != nil {
			return nil, err
		}
		out = append(out, nnOutDims(g, x, c.Node.AttrString("auto_pad", "NOTSET"))...)
		return []Type{TensorType(odt, out)}, nil
	}
}

func nnInferConvTranspose(c *InferContext) ([]Type, error) {
	dt := c.In[0].DType
	x, okX := c.RankedIn(0)
	w, okW := c.RankedIn(1)
	if !okX {
		return []Type{UnrankedTensor(dt)}, nil
	}
	if len(x) < 3 {
		return nil, fmt.Errorf("input must have rank >= 3 ([N,C,spatial...]), got %v", x)
	}
	group := c.Node.AttrInt("group", 1)
	if group <= 0 {
		return nil, fmt.Errorf("group %d must be positive", group)
	}
	r := len(x) - 2
	m := UnknownDim()
	kernel := c.Node.AttrInts("kernel_shape", nil)
	if okW {
		if len(w) != len(x) {
			return nil, fmt.Errorf("weight rank %d (%v) differs from input rank %d (%v)", len(w), w, len(x), x)
		}
		if x[1].IsConcrete() && w[0].IsConcrete() && x[1].Value != w[0].Value {
			return nil, fmt.Errorf("input has %d channels, weight %v expects %d", x[1].Value, w, w[0].Value)
		}
		if w[1].IsConcrete() {
			m = D(w[1].Value * group)
		}
		if kernel == nil {
			if ks, ok := w[2:].Ints(); ok {
				kernel = ks
			}
		}
	}
	out := Shape{x[0], m}
	if kernel == nil {
		for i := 0; i < r; i++ {
			out = append(out, UnknownDim())
		}
		return []Type{TensorType(dt, out)}, nil
	}
	g, err := ConvTransposeGeometry(c.Node, nnSpatial(x), kernel)
	if err != nil {
		return nil, err
	}
	for _, o := range g.Out {
		if o >= 0 {
			out = append(out, D(o))
		} else {
			out = append(out, UnknownDim())
		}
	}
	return []Type{TensorType(dt, out)}, nil
}

func nnInferPool(c *InferContext) ([]Type, error) {
	dt := c.In[0].DType
	x, ok := c.RankedIn(0)
	nout := len(c.Node.Outputs)
	res := func(t Type) []Type {
		ts := []Type{t}
		if nout > 1 {
			it := t.Clone()
			it.DType = Int64
			ts = append(ts, it)
		}
		return ts
	}
	if !ok {
		return res(UnrankedTensor(dt)), nil
	}
	if len(x) < 3 {
		return nil, fmt.Errorf("input must have rank >= 3 ([N,C,spatial...]), got %v", x)
	}
	kernel := c.Node.AttrInts("kernel_shape", nil)
	if kernel == nil {
		return nil, fmt.Errorf("kernel_shape is required")
	}
	if c.Node.Op == "MaxPool" && c.Node.AttrInt("storage_order", 0) != 0 && c.Node.AttrInt("storage_order", 0) != 1 {
		return nil, fmt.Errorf("storage_order must be 0 or 1")
	}
	g, err := ConvGeometry(c.Node, nnSpatial(x), kernel, c.Node.AttrInt("ceil_mode", 0) != 0)
	if err != nil {
		return nil, err
	}
	out := append(Shape{x[0], x[1]}, nnOutDims(g, x, c.Node.AttrString("auto_pad", "NOTSET"))...)
	return res(TensorType(dt, out)), nil
}

func nnInferMaxUnpool(c *InferContext) ([]Type, error) {
	dt := c.In[0].DType
	x, ok := c.RankedIn(0)
	if !ok {
		return []Type{UnrankedTensor(dt)}, nil
	}
	if len(x) < 3 {
		return nil, fmt.Errorf("input must have rank >= 3 ([N,C,spatial...]), got %v", x)
	}
	if c.HasInput(2) {
		if shp, ok := c.ConstInt64s(2); ok {
			if len(shp) != len(x) {
				return nil, fmt.Errorf("output_shape %v has %d values, want %d", shp, len(shp), len(x))
			}
			return []Type{TensorType(dt, ConcreteShape(shp...))}, nil
		}
		out := make(Shape, len(x))
		for i := range out {
			out[i] = UnknownDim()
		}
		return []Type{TensorType(dt, out)}, nil
	}
	kernel := c.Node.AttrInts("kernel_shape", nil)
	g, err := nnWindowAttrs(c.Node, kernel)
	if err != nil {
		return nil, err
	}
	if len(kernel) != len(x)-2 {
		return nil, fmt.Errorf("kernel_shape %v has %d dims, input has %d spatial dims", kernel, len(kernel), len(x)-2)
	}
	out := Shape{x[0], x[1]}
	for i, d := range nnSpatial(x) {
		if d < 0 {
			out = append(out, UnknownDim())
			continue
		}
		o := (d-1)*g.Strides[i] + kernel[i] - g.PadBegin[i] - g.PadEnd[i]
		if o < 0 {
			return nil, fmt.Errorf("pads exceed the unpooled size on spatial dim %d", i)
		}
		out = append(out, D(o))
	}
	return []Type{TensorType(dt, out)}, nil
}

func nnInferGlobalPool(c *InferContext) ([]Type, error) {
	x, ok := c.RankedIn(0)
	if !ok {
		return []Type{UnrankedTensor(c.In[0].DType)}, nil
	}
	if len(x) < 2 {
		return nil, fmt.Errorf("input must have rank >= 2 ([N,C,spatial...]), got %v", x)
	}
	out := Shape{x[0], x[1]}
	for range x[2:] {
		out = append(out, D(1))
	}
	return []Type{TensorType(c.In[0].DType, out)}, nil
}

func nnInferBatchNorm(c *InferContext) ([]Type, error) {
	dt := c.In[0].DType
	ch := UnknownDim()
	if x, ok := c.RankedIn(0); ok {
		if len(x) < 1 {
			return nil, fmt.Errorf("input must have rank >= 1, got %v", x)
		}
		if len(x) >= 2 {
			ch = x[1]
		}
	}
	for i := 1; i < 5; i++ {
		s, ok := c.RankedIn(i)
		if !ok || c.Opset < 9 && c.Node.AttrInt("spatial", 1) == 0 {
			continue
		}
		if len(s) != 1 {
			return nil, fmt.Errorf("input %d must be rank 1 (one value per channel), got %v", i, s)
		}
		d, ok := nnMergeDim(ch, s[0])
		if !ok {
			return nil, fmt.Errorf("input %d has %v values, input has %v channels", i, s[0], ch)
		}
		ch = d
	}
	out := []Type{c.In[0].Clone()}
	for i := 1; i < len(c.Node.Outputs); i++ {
		t := TensorType(dt, Shape{ch})
		if i <= 2 && i < len(c.In) && c.In[2+i].DType != Undefined {
			t.DType = c.In[2+i].DType // running mean/var have the type of input mean/var
		}
		out = append(out, t)
	}
	return out, nil
}

func nnInferLayerNorm(c *InferContext) ([]Type, error) {
	out := []Type{c.In[0].Clone()}
	stash := DType(c.Node.AttrInt("stash_type", 1))
	if !stash.IsFloat() {
		return nil, fmt.Errorf("stash_type %d is not a floating-point type", c.Node.AttrInt("stash_type", 1))
	}
	x, ok := c.RankedIn(0)
	var stat Type
	if ok {
		axis, err := NormalizeAxis(c.Node.AttrInt("axis", -1), len(x))
		if err != nil {
			return nil, err
		}
		s := x[:axis].Clone()
		for range x[axis:] {
			s = append(s, D(1))
		}
		stat = TensorType(stash, s)
	} else {
		stat = UnrankedTensor(stash)
	}
	for i := 1; i < len(c.Node.Outputs); i++ {
		out = append(out, stat.Clone())
	}
	return out, nil
}

func nnInferDropout(c *InferContext) ([]Type, error) {
	out := []Type{c.In[0].Clone()}
	if len(c.Node.Outputs) > 1 {
		m := c.In[0].Clone()
		if c.Opset >= 10 {
			m.DType = Bool
		}
		out = append(out, m)
	}
	return out, nil
}
