package ir

// Cost hooks of the op table, and the memory-bound marks.
//
// The counting convention, used by every Cost hook in this package:
//
//   - FLOPs counts scalar operations of one execution of the node, as its definition (or the
//     sequence of ONNX ops it stands for) writes them. Integer arithmetic counts like float.
//   - Each add, subtract, multiply, divide, negate, abs, min, max, comparison, logical or
//     bitwise op, select (Where), rounding (Floor, Ceil, Round, Sign) and reciprocal is 1.
//   - A fused multiply-add is 2 (the multiply and the add): a dot product of length K is 2K, so
//     a matrix product [M,K]x[K,N] is 2MNK.
//   - Each elementary function is 1 "transcendental" op: exp, log, sqrt, pow (any exponent,
//     x^3 included), erf, tanh, and the trigonometric and hyperbolic functions. Other
//     activations count the ops of their formula: Sigmoid 1/(1+e^-x) is 4, Gelu
//     0.5x(1+erf(x/sqrt2)) is 5, its tanh form 0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3))) is 8.
//   - Reducing n elements costs n ops (accumulating into the identity, as a dot product does),
//     whatever the number of outputs; a mean adds one divide per output.
//   - Elementwise ops count per output element (after broadcasting); a variadic op over k
//     inputs (Sum, Max, Min) is k-1 per element, Mean k.
//   - Softmax, LogSoftmax and ReduceLogSumExp count the max-subtracted form every
//     implementation runs: Softmax is max, subtract, exp, sum, divide = 5 per element.
//   - Multiplying by an attribute equal to 1 (Gemm's alpha and beta, FusedMatMul's alpha,
//     QuickGelu's alpha) is free: the op it replaces had no such multiply. Other scalings
//     (Attention's 1/sqrt(head_size)) count 1 per element.
//   - A fused op's FLOPs are the sum of the FLOPs of the ops it replaces, counted the same way:
//     LayerNormalization is its opset-11 export ReduceMean, Sub, Pow, ReduceMean, Add(eps),
//     Sqrt, Div, Mul(scale), Add(bias): 7n+4 per row of n (6n+4 without bias); llmc's ops
//     (those with a Function) are costed by summing their body.
//   - Bytes is the bytes of the node's input and output tensors (read plus written once),
//     counting only concretely shaped tensors; a fused op counts its own inputs and outputs, not
//     the intermediates it saves. Ops that read part of an input (Gather, Slice, Shape, the
//     embedding lookups of EmbedLayerNormalization) count what they read.
//   - Hooks never panic: with input or output types not concrete enough (unknown, unranked,
//     symbolic dims) they return zero FLOPs and the bytes they can count.
//
// Memory-bound ops (OpSchema.MemoryBound) do no arithmetic: Cost reports their bytes as if they
// copied (an implementation that aliases Reshape or Squeeze moves nothing).

import "strings"

const costSat = int64(1) << 62

// costMul multiplies, saturating at 2^62 and treating negatives as 0.
func costMul(xs ...int64) int64 {
	p := int64(1)
	for _, x := range xs {
		if x <= 0 {
			return 0
		}
		if p > costSat/x {
			return costSat
		}
		p *= x
	}
	return p
}

// costAdd adds, saturating at 2^62 and treating negatives as 0.
func costAdd(xs ...int64) int64 {
	var s int64
	for _, x := range xs {
		if x <= 0 {
			continue
		}
		if s > costSat-x {
			return costSat
		}
		s += x
	}
	return s
}

// costType returns ts[i], or an unknown type.
func costType(ts []Type, i int) Type {
	if i < len(ts) {
		return ts[i]
	}
	return Type{}
}

// costElems returns the element count of ts[i] when concrete.
func costElems(ts []Type, i int) (int64, bool) { return nnNumel(costType(ts, i)) }

// costBytesOf returns the bytes of ts[i] (0 when not concrete).
func costBytesOf(ts []Type, i int) int64 {
	t := costType(ts, i)
	e, ok := nnNumel(t)
	if !ok {
		return 0
	}
	return ByteSize(t.DType, e)
}

// costIO is the default byte count: every concrete input and output once.
func costIO(in, out []Type) int64 { return costAdd(nnTypeBytes(in), nnTypeBytes(out)) }

// costHasIn reports whether input i is given: by the node when it has that many inputs,
// otherwise by its type being known.
func costHasIn(n *Node, in []Type, i int) bool {
	if i < len(n.Inputs) {
		return n.Inputs[i] != nil
	}
	return i < len(in) && in[i].Kind != KindUnknown
}

// costOutElems is the element count of output 0, or, when its type is not concrete, that of
// the broadcast of the inputs (all concretely shaped).
func costOutElems(in, out []Type) (int64, bool) {
	if e, ok := costElems(out, 0); ok {
		return e, true
	}
	var s Shape
	for i, t := range in {
		if !t.Ranked || !t.Shape.IsConcrete() {
			return 0, false
		}
		if i == 0 {
			s = t.Shape
			continue
		}
		b, err := BroadcastShapes(s, t.Shape)
		if err != nil {
			return 0, false
		}
		s = b
	}
	if len(in) == 0 {
		return 0, false
	}
	return nnNumel(TensorType(Undefined, s))
}

// costX returns the concrete dims of input 0, else of output 0 (same shape for normalizations).
func costX(in, out []Type) []int64 {
	if d := contribDims(in, 0); d != nil {
		return d
	}
	return contribDims(out, 0)
}

// costSplit splits dims at axis (negative counts from the end): rows is the product of the dims
// before it, n that of the dims from it on.
func costSplit(d []int64, axis int64) (rows, n int64, ok bool) {
	r := int64(len(d))
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis >= r {
		return 0, 0, false
	}
	return costMul(d[:axis]...), costMul(d[axis:]...), true
}

// Per-element FLOPs of the unary ops and activations (see the convention above).
var costUnary = map[string]int64{
	"Abs": 1, "Neg": 1, "Ceil": 1, "Floor": 1, "Round": 1, "Sign": 1, "Reciprocal": 1,
	"Not": 1, "BitwiseNot": 1, "IsNaN": 1, "IsInf": 1, "Relu": 1,
	"Exp": 1, "Log": 1, "Sqrt": 1, "Erf": 1, "Tanh": 1,
	"Sin": 1, "Cos": 1, "Tan": 1, "Asin": 1, "Acos": 1, "Atan": 1,
	"Sinh": 1, "Cosh": 1, "Asinh": 1, "Acosh": 1, "Atanh": 1,
	"Sigmoid":         4, // 1/(1+e^-x): negate, exp, add, reciprocal
	"HardSigmoid":     4, // max(0, min(1, alpha*x+beta))
	"HardSwish":       5, // x * HardSigmoid(x)
	"LeakyRelu":       3, // compare, multiply, select
	"ThresholdedRelu": 2, // compare, select
	"Elu":             5, // compare, exp, subtract, multiply, select
	"Selu":            6, // Elu's five, plus the gamma multiply
	"Celu":            7, // max(0,x) + min(0, alpha*(e^(x/alpha)-1))
	"Softplus":        3, // ln(e^x + 1)
	"Softsign":        3, // x/(1+|x|)
	"Mish":            5, // x * tanh(Softplus(x))
	"Shrink":          5, // two compares, an add or subtract, two selects
}

// Per-output-element FLOPs of the binary and select ops.
var costBinary = map[string]int64{
	"Add": 1, "Sub": 1, "Mul": 1, "Div": 1, "Mod": 1, "Pow": 1,
	"And": 1, "Or": 1, "Xor": 1, "Equal": 1, "Less": 1, "Greater": 1, "LessOrEqual": 1, "GreaterOrEqual": 1,
	"BitShift": 1, "BitwiseAnd": 1, "BitwiseOr": 1, "BitwiseXor": 1,
	"Where": 1,
	"PRelu": 3, // compare, multiply, select
}

// costPerElement: k FLOPs per output element.
func costPerElement(k int64) CostFunc {
	return func(n *Node, in, out []Type) Cost {
		c := Cost{Bytes: costIO(in, out)}
		if e, ok := costOutElems(in, out); ok {
			c.FLOPs = costMul(k, e)
		}
		return c
	}
}

// costVariadic: Sum, Max, Min (k-1 per element over k inputs) and Mean (k).
func costVariadic(extra int64) CostFunc {
	return func(n *Node, in, out []Type) Cost {
		c := Cost{Bytes: costIO(in, out)}
		if e, ok := costOutElems(in, out); ok {
			c.FLOPs = costMul(int64(len(in))-1+extra, e)
		}
		return c
	}
}

// costClip: one op per element for each bound given (inputs from opset 11, attributes before).
func costClip(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: costIO(in, out)}
	bounds := int64(0)
	for i := 1; i <= 2; i++ {
		if costHasIn(n, in, i) {
			bounds++
		}
	}
	for _, a := range []string{"min", "max"} {
		if n.Attr(a) != nil {
			bounds++
		}
	}
	if e, ok := costOutElems(in, out); ok {
		c.FLOPs = costMul(bounds, e)
	}
	return c
}

// costDropout: an identity in inference. In training (training_mode a constant true) each
// element costs a random draw, a compare, a select and the 1/(1-ratio) scaling: 4.
func costDropout(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: costIO(in, out)}
	if v := n.Input(2); v != nil && v.Const != nil && v.Const.DType == Bool && len(v.Const.Raw) > 0 && v.Const.Raw[0] != 0 {
		if e, ok := costElems(in, 0); ok {
			c.FLOPs = costMul(4, e)
		}
	}
	return c
}

// costGelu: ONNX Gelu, exact (5) or tanh-approximated (8).
func costGelu(n *Node, in, out []Type) Cost {
	k := int64(5)
	if n.AttrString("approximate", "none") == "tanh" {
		k = 8
	}
	return costPerElement(k)(n, in, out)
}

// costFastGelu: the tanh form (8), plus the bias add when given.
func costFastGelu(n *Node, in, out []Type) Cost {
	k := int64(8)
	if costHasIn(n, in, 1) {
		k++
	}
	return costPerElement(k)(n, in, out)
}

// costQuickGelu: x * Sigmoid(alpha*x): 5, plus the alpha multiply unless alpha is 1.
func costQuickGelu(n *Node, in, out []Type) Cost {
	k := int64(5)
	if n.AttrFloat("alpha", 1.702) != 1 {
		k++
	}
	return costPerElement(k)(n, in, out)
}

// costReduce: perIn ops per input element plus perOut per output element.
func costReduce(perIn, perOut int64) CostFunc {
	return func(n *Node, in, out []Type) Cost {
		c := Cost{Bytes: costIO(in, out)}
		ni, ok1 := costElems(in, 0)
		no, ok2 := costElems(out, 0)
		if ok1 && ok2 {
			c.FLOPs = costAdd(costMul(perIn, ni), costMul(perOut, no))
		}
		return c
	}
}

// costCumSum: one add per element.
func costCumSum(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: costIO(in, out)}
	if e, ok := costElems(in, 0); ok {
		c.FLOPs = e
	} else if e, ok := costElems(out, 0); ok {
		c.FLOPs = e
	}
	return c
}

// costSoftmax: max, subtract, exp, sum, divide per element (5); LogSoftmax: max, subtract,
// exp, sum, subtract per element and one log per row (rows along the axis attribute, default
// the last: the opset-13 meaning); Hardmax: a max and a write per element (2).
func costSoftmax(op string) CostFunc {
	return func(n *Node, in, out []Type) Cost {
		c := Cost{Bytes: costIO(in, out)}
		x := costX(in, out)
		if x == nil {
			return c
		}
		e := costMul(x...)
		switch op {
		case "Softmax":
			c.FLOPs = costMul(5, e)
		case "Hardmax":
			c.FLOPs = costMul(2, e)
		case "LogSoftmax":
			c.FLOPs = costMul(5, e)
			if len(x) == 0 {
				c.FLOPs = costAdd(c.FLOPs, 1)
				break
			}
			axis := n.AttrInt("axis", -1)
			if axis < 0 {
				axis += int64(len(x))
			}
			if axis >= 0 && axis < int64(len(x)) && x[axis] > 0 {
				c.FLOPs = costAdd(c.FLOPs, e/x[axis])
			}
		}
		return c
	}
}

// costLNRows is the FLOPs of layer-normalizing rows rows of n elements: mean (n+1), subtract
// (n), square (n), variance (n+1), add epsilon (1), sqrt (1), divide (n), scale (n), and the
// bias add (n) when there is a bias: 7n+4 per row, 6n+4 without bias.
func costLNRows(rows, n int64, bias bool) int64 {
	per := costAdd(costMul(6, n), 4)
	if bias {
		per = costAdd(per, n)
	}
	return costMul(rows, per)
}

// costRMSRows is the FLOPs of RMS-normalizing rows rows of n elements: square (n), mean (n+1),
// add epsilon (1), sqrt (1), divide (n), scale (n): 4n+3 per row.
func costRMSRows(rows, n int64) int64 {
	return costMul(rows, costAdd(costMul(4, n), 3))
}

// costLayerNorm: ONNX LayerNormalization over dims [axis, rank).
func costLayerNorm(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: costIO(in, out)}
	if rows, m, ok := costSplit(costX(in, out), n.AttrInt("axis", -1)); ok {
		c.FLOPs = costLNRows(rows, m, costHasIn(n, in, 2))
	}
	return c
}

// costSimplifiedLayerNorm: RMS normalization over dims [axis, rank).
func costSimplifiedLayerNorm(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: costIO(in, out)}
	if rows, m, ok := costSplit(costX(in, out), n.AttrInt("axis", -1)); ok {
		c.FLOPs = costRMSRows(rows, m)
	}
	return c
}

// costSkipLayerNorm: input + skip (+ bias), then LayerNormalization over the last axis (with
// beta when given). Inputs: input, skip, gamma, beta, bias.
func costSkipLayerNorm(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: costIO(in, out)}
	if rows, m, ok := costSplit(costX(in, out), -1); ok {
		adds := int64(1)
		if costHasIn(n, in, 4) {
			adds++
		}
		c.FLOPs = costAdd(costMul(adds, rows, m), costLNRows(rows, m, costHasIn(n, in, 3)))
	}
	return c
}

// costSkipSimplifiedLayerNorm: input + skip (+ bias), then RMS normalization over the last
// axis. Inputs: input, skip, gamma, bias.
func costSkipSimplifiedLayerNorm(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: costIO(in, out)}
	if rows, m, ok := costSplit(costX(in, out), -1); ok {
		adds := int64(1)
		if costHasIn(n, in, 3) {
			adds++
		}
		c.FLOPs = costAdd(costMul(adds, rows, m), costRMSRows(rows, m))
	}
	return c
}

// costEmbedLayerNorm: word + position (+ segment) embedding rows added (1 or 2 per element),
// LayerNormalization with gamma and beta over the hidden axis, and the mask's per-row sum (one
// add per mask element). Inputs: input_ids, segment_ids, word, position, segment embeddings,
// gamma, beta, mask, position_ids. Bytes count the embedding rows read, not the tables.
func costEmbedLayerNorm(n *Node, in, out []Type) Cost {
	c := Cost{}
	y := contribDims(out, 0)
	if y == nil {
		if ids, w := contribDims(in, 0), contribDims(in, 2); len(ids) == 2 && len(w) == 2 {
			y = []int64{ids[0], ids[1], w[1]}
		}
	}
	seg := costHasIn(n, in, 1) && costHasIn(n, in, 4)
	tables := []int{2, 3}
	if seg {
		tables = append(tables, 4)
	}
	for i := range in {
		if i != 2 && i != 3 && i != 4 {
			c.Bytes = costAdd(c.Bytes, costBytesOf(in, i))
		}
	}
	c.Bytes = costAdd(c.Bytes, nnTypeBytes(out))
	if len(y) != 3 {
		return c
	}
	e := costMul(y...)
	for _, t := range tables {
		c.Bytes = costAdd(c.Bytes, ByteSize(costType(in, t).DType, e))
	}
	adds := int64(1)
	if seg {
		adds++
	}
	c.FLOPs = costAdd(costMul(adds, e), costLNRows(costMul(y[0], y[1]), y[2], true))
	if costHasIn(n, in, 7) {
		if m, ok := costElems(in, 7); ok {
			c.FLOPs = costAdd(c.FLOPs, m)
		}
	}
	return c
}

// costBiasAdd: X + bias + skip, 2 per element.
var costBiasAdd = costPerElement(2)

// costBatchNorm: inference form, per element subtract mean, divide, scale, add bias (4), per
// channel add epsilon and sqrt (2).
func costBatchNorm(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: costIO(in, out)}
	x := costX(in, out)
	if len(x) == 0 {
		return c
	}
	ch := int64(1)
	if len(x) >= 2 {
		ch = x[1]
	}
	c.FLOPs = costAdd(costMul(4, costMul(x...)), costMul(2, ch))
	return c
}

// costInstanceNorm: LayerNormalization (with bias) of each (n, c) over the spatial dims.
func costInstanceNorm(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: costIO(in, out)}
	if rows, m, ok := costSplit(costX(in, out), 2); ok {
		c.FLOPs = costLNRows(rows, m, true)
	}
	return c
}

// costGroupNorm: LayerNormalization (with bias) of each group of channels with its spatial dims.
func costGroupNorm(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: costIO(in, out)}
	x := costX(in, out)
	g := n.AttrInt("num_groups", 0)
	if len(x) < 2 || g <= 0 {
		return c
	}
	e := costMul(x...)
	rows := costMul(x[0], g)
	if rows == 0 {
		return c
	}
	c.FLOPs = costLNRows(rows, e/rows, true)
	return c
}

// costMVN: LayerNormalization without scale and bias over the axes attribute: mean (n+1),
// subtract (n), square (n), variance (n+1), epsilon (1), sqrt (1), divide (n) = 5n+4 per row.
func costMVN(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: costIO(in, out)}
	x := costX(in, out)
	if x == nil {
		return c
	}
	m := int64(1)
	seen := map[int64]bool{}
	for _, a := range n.AttrInts("axes", []int64{0, 2, 3}) {
		if a < 0 {
			a += int64(len(x))
		}
		if a < 0 || a >= int64(len(x)) || seen[a] {
			return c
		}
		seen[a] = true
		m = costMul(m, x[a])
	}
	if m == 0 {
		return c
	}
	rows := costMul(x...) / m
	c.FLOPs = costMul(rows, costAdd(costMul(5, m), 4))
	return c
}

// costLpNorm: |x| or x^2 (1), sum (1) and divide (1) per element, plus a sqrt per row for p=2.
func costLpNorm(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: costIO(in, out)}
	x := costX(in, out)
	axis := n.AttrInt("axis", -1)
	if axis < 0 {
		axis += int64(len(x))
	}
	if axis < 0 || axis >= int64(len(x)) {
		return c
	}
	e := costMul(x...)
	c.FLOPs = costMul(3, e)
	if d := x[axis]; d > 0 && n.AttrInt("p", 2) == 2 {
		c.FLOPs = costAdd(c.FLOPs, e/d)
	}
	return c
}

// costLRN: per element, size squares and adds (2*size), then scale, add bias, pow, divide (4).
func costLRN(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: costIO(in, out)}
	if e, ok := costElems(in, 0); ok {
		c.FLOPs = costMul(e, costAdd(costMul(2, n.AttrInt("size", 1)), 4))
	}
	return c
}

// costPool: per output element, perWin ops per window element (kernel_shape) plus perOut.
func costPool(perWin, perOut int64) CostFunc {
	return func(n *Node, in, out []Type) Cost {
		c := Cost{Bytes: costIO(in, out)}
		e, ok := costElems(out, 0)
		k := n.AttrInts("kernel_shape", nil)
		if !ok || k == nil {
			return c
		}
		c.FLOPs = costMul(e, costAdd(costMul(perWin, costMul(k...)), perOut))
		return c
	}
}

// costFusedMatMul: 2K per output element (K the contracted size after transBatchA/transA), plus
// the alpha multiply unless alpha is 1.
func costFusedMatMul(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: costIO(in, out)}
	a := costType(in, 0)
	if !a.Ranked || len(a.Shape) == 0 {
		return c
	}
	s := contribFusedOperand(a.Shape, n.AttrInt("transBatchA", 0) != 0, n.AttrInt("transA", 0) != 0)
	k := s[len(s)-1]
	e, ok := costOutElems(nil, out)
	if !ok || !k.IsConcrete() {
		return c
	}
	c.FLOPs = costMul(2, e, k.Value)
	if n.AttrFloat("alpha", 1) != 1 {
		c.FLOPs = costAdd(c.FLOPs, e)
	}
	return c
}

// costFusedGemm: Gemm, then the activation's per-element cost (that of the op of that name).
func costFusedGemm(n *Node, in, out []Type) Cost {
	c := nnGemmCost(n, in, out)
	if c.FLOPs == 0 {
		return c
	}
	if k, ok := costUnary[n.AttrString("activation", "")]; ok {
		if e, ok := costElems(out, 0); ok {
			c.FLOPs = costAdd(c.FLOPs, costMul(k, e))
		}
	}
	return c
}

// costEinsum: over the space of all labels (each at its largest size), k-1 multiplies for k
// operands, plus one add when some label is summed over.
func costEinsum(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: costIO(in, out)}
	ranks := make([]int, len(in))
	for i, t := range in {
		if !t.Ranked || !t.Shape.IsConcrete() {
			return c
		}
		ranks[i] = len(t.Shape)
	}
	sp, err := ParseEinsum(n.AttrString("equation", ""), ranks)
	if err != nil || len(sp.Inputs) != len(in) {
		return c
	}
	size := map[int]int64{}
	for i, ls := range sp.Inputs {
		if len(ls) != len(in[i].Shape) {
			return c
		}
		for j, l := range ls {
			size[l] = max(size[l], in[i].Shape[j].Value)
		}
	}
	space := int64(1)
	for _, v := range size {
		space = costMul(space, v)
	}
	outLabels := map[int]bool{}
	for _, l := range sp.Output {
		outLabels[l] = true
	}
	per := int64(len(in) - 1)
	for l := range size {
		if !outLabels[l] {
			per++
			break
		}
	}
	c.FLOPs = costMul(per, space)
	return c
}

// costQuantize: x / scale, round, + zero point, clamp to the type's range (2): 5 per element.
// costDequantize: (x - zero point) * scale: 2 per element, 1 without a zero point.
// costDynamicQuantize: min and max of x (2 per element) and the quantization (5).
func costQuantize(n *Node, in, out []Type) Cost {
	return costOnInput(5)(n, in, out)
}

func costDequantize(n *Node, in, out []Type) Cost {
	k := int64(1)
	if costHasIn(n, in, 2) {
		k++
	}
	return costOnInput(k)(n, in, out)
}

// costOnInput: k FLOPs per element of input 0.
func costOnInput(k int64) CostFunc {
	return func(n *Node, in, out []Type) Cost {
		c := Cost{Bytes: costIO(in, out)}
		if e, ok := costElems(in, 0); ok {
			c.FLOPs = costMul(k, e)
		}
		return c
	}
}

// costRange: one add per element generated.
func costRange(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: costIO(in, out)}
	if e, ok := costElems(out, 0); ok {
		c.FLOPs = e
	}
	return c
}

// costScatter: ScatterElements and ScatterND copy data and write the updates; with a reduction
// (add, mul, max, min) each update costs 1.
func costScatter(n *Node, in, out []Type) Cost {
	c := Cost{Bytes: costIO(in, out)}
	if r := n.AttrString("reduction", "none"); r != "none" && r != "" {
		if e, ok := costElems(in, 2); ok {
			c.FLOPs = e
		}
	}
	return c
}

// functionCost costs an op with a Function body as the sum of its body's FLOPs (each body node
// costed by its own hook with the types inference gives it), and its own inputs' and outputs'
// bytes.
func functionCost(s *OpSchema) CostFunc {
	return func(n *Node, in, out []Type) Cost {
		c := Cost{Bytes: costIO(in, out)}
		f := s.Function
		call := &Node{Name: "cost", Op: s.Name, Domain: s.Domain, Attrs: n.Attrs}
		for i := range f.Inputs {
			if !costHasIn(n, in, i) || i >= len(in) {
				call.Inputs = append(call.Inputs, nil)
				continue
			}
			v := &Value{Name: f.Inputs[i], Type: in[i]}
			if u := n.Input(i); u != nil {
				v.Const = u.Const
			}
			call.Inputs = append(call.Inputs, v)
		}
		nodes, _, _ := f.Instantiate(call)
		g := f.Graph()
		var flops int64
		for _, b := range nodes {
			ts, err := InferNode(g, b)
			if err != nil {
				return c
			}
			for i, v := range b.Outputs {
				if v != nil {
					v.Type = ts[i]
				}
			}
			bs := b.Schema()
			if bs == nil || bs.Cost == nil {
				return c
			}
			bin := make([]Type, len(b.Inputs))
			for i, v := range b.Inputs {
				if v != nil {
					bin[i] = v.Type
				}
			}
			bc := bs.Cost(b, bin, ts)
			if bc.FLOPs == 0 && !bs.MemoryBound {
				return c // a body node with too little known: no partial sums
			}
			flops = costAdd(flops, bc.FLOPs)
		}
		c.FLOPs = flops
		return c
	}
}

// Memory-bound byte counts.

// costCopy: every input and output once.
func costCopy(n *Node, in, out []Type) Cost { return Cost{Bytes: costIO(in, out)} }

// costGatherBytes: the index and other operands after the first, and the output read from the
// data (as many bytes as it has) and written.
func costGatherBytes(n *Node, in, out []Type) Cost {
	var b int64
	for i := 1; i < len(in); i++ {
		b = costAdd(b, costBytesOf(in, i))
	}
	return Cost{Bytes: costAdd(b, costMul(2, nnTypeBytes(out)))}
}

// costShapeBytes: Shape and Size read no data, only write their output.
func costShapeBytes(n *Node, in, out []Type) Cost { return Cost{Bytes: nnTypeBytes(out)} }

// memoryBoundOps maps each data-movement op to its byte count.
var memoryBoundOps = []struct {
	domain, op string
	cost       CostFunc
}{
	{"", "Identity", costCopy},
	{"", "Reshape", costCopy},
	{"", "Flatten", costCopy},
	{"", "Squeeze", costCopy},
	{"", "Unsqueeze", costCopy},
	{"", "Transpose", costCopy},
	{"", "Concat", costCopy},
	{"", "Split", costCopy},
	{"", "Expand", costCopy},
	{"", "Tile", costCopy},
	{"", "Pad", costCopy},
	{"", "CenterCropPad", costCopy},
	{"", "Cast", costCopy},
	{"", "CastLike", costCopy},
	{"", "DepthToSpace", costCopy},
	{"", "SpaceToDepth", costCopy},
	{"", "ReverseSequence", costCopy},
	{"", "Trilu", costCopy},
	{"", "Scatter", costCopy},
	{"", "MaxUnpool", costCopy},
	{"", "Constant", costCopy},
	{"", "ConstantOfShape", costCopy},
	{"", "EyeLike", costShapeBytes},
	{"", "OneHot", costCopy},
	{"", "Gather", costGatherBytes},
	{"", "GatherElements", costGatherBytes},
	{"", "GatherND", costGatherBytes},
	{"", "Slice", costGatherBytes},
	{"", "Compress", costGatherBytes},
	{"", "Shape", costShapeBytes},
	{"", "Size", costShapeBytes},
	{"", "SequenceAt", costCopy},
	{"", "SequenceConstruct", costCopy},
	{"", "SequenceEmpty", costCopy},
	{"", "SequenceErase", costCopy},
	{"", "SequenceInsert", costCopy},
	{"", "SequenceLength", costShapeBytes},
	{"", "SplitToSequence", costCopy},
	{"", "ConcatFromSequence", costCopy},
	{"", "Optional", costCopy},
	{"", "OptionalGetElement", costCopy},
	{"", "OptionalHasElement", costShapeBytes},
}

// costHooks maps ops ("Op" or "domain::Op") to the Cost hooks this file gives them (ops whose
// hooks are registered with the op, like MatMul, Conv and Attention, are not here).
func costHooks() map[string]CostFunc {
	h := map[string]CostFunc{}
	for op, k := range costUnary {
		h[op] = costPerElement(k)
	}
	for op, k := range costBinary {
		h[op] = costPerElement(k)
	}
	for op, c := range map[string]CostFunc{
		"Sum": costVariadic(0), "Max": costVariadic(0), "Min": costVariadic(0), "Mean": costVariadic(1),
		"Clip": costClip, "Dropout": costDropout, "Gelu": costGelu,
		"ReduceSum": costReduce(1, 0), "ReduceMax": costReduce(1, 0), "ReduceMin": costReduce(1, 0),
		"ReduceProd": costReduce(1, 0), "ReduceMean": costReduce(1, 1), "ReduceSumSquare": costReduce(2, 0),
		"ReduceL1": costReduce(2, 0), "ReduceL2": costReduce(2, 1), "ReduceLogSum": costReduce(1, 1),
		"ReduceLogSumExp": costReduce(4, 2), "ArgMax": costReduce(1, 0), "ArgMin": costReduce(1, 0),
		"NonZero": costOnInput(1), "CumSum": costCumSum, "Range": costRange,
		"Softmax": costSoftmax("Softmax"), "LogSoftmax": costSoftmax("LogSoftmax"), "Hardmax": costSoftmax("Hardmax"),
		"LayerNormalization": costLayerNorm, "SimplifiedLayerNormalization": costSimplifiedLayerNorm,
		"BatchNormalization": costBatchNorm, "InstanceNormalization": costInstanceNorm,
		"GroupNormalization": costGroupNorm, "MeanVarianceNormalization": costMVN,
		"LpNormalization": costLpNorm, "LRN": costLRN,
		"MaxPool": costPool(1, 0), "AveragePool": costPool(1, 1), "LpPool": costPool(2, 1),
		"GlobalMaxPool": costReduce(1, 0), "GlobalAveragePool": costReduce(1, 1), "GlobalLpPool": costReduce(2, 1),
		"Einsum": costEinsum, "ScatterElements": costScatter, "ScatterND": costScatter,
		"QuantizeLinear": costQuantize, "DequantizeLinear": costDequantize, "DynamicQuantizeLinear": costOnInput(7),
	} {
		h[op] = c
	}
	for op, c := range map[string]CostFunc{
		"SkipLayerNormalization": costSkipLayerNorm, "SkipSimplifiedLayerNormalization": costSkipSimplifiedLayerNorm,
		"EmbedLayerNormalization": costEmbedLayerNorm, "BiasAdd": costBiasAdd,
		"BiasGelu": costPerElement(6), "Gelu": costPerElement(5), "FastGelu": costFastGelu, "QuickGelu": costQuickGelu,
	} {
		h[MSDomain+"::"+op] = c
	}
	return h
}

func init() {
	whenOpsRegistered(func() {
		for k, c := range costHooks() {
			domain, name, ok := strings.Cut(k, "::")
			if !ok {
				domain, name = "", k
			}
			MustOp(domain, name).Cost = c
		}
		for _, e := range memoryBoundOps {
			s := MustOp(e.domain, e.op)
			s.MemoryBound, s.Cost = true, e.cost
		}
		for _, s := range opTable {
			if s.Function != nil && s.Cost == nil {
				s.Cost = functionCost(s)
			}
		}
	})
}
