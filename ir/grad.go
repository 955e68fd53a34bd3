package ir

// The gradient slot of the op table. An op either has a Grad hook, which builds the backward
// computation of one of its nodes, or a NoGrad reason saying why no gradient flows through it.
// The autodiff package fills the Grad hooks; this file declares the contract and marks the ops
// that have no gradient at all.

// GradFunc builds the backward computation of one node: given the gradients of the loss with
// respect to the node's outputs (c.OutGrads), it adds nodes to c.Graph that compute the gradient
// of the loss with respect to each of the node's inputs and returns those values.
//
// The contract:
//   - The result has exactly one entry per node input, in input order (len(c.Node.Inputs)).
//   - Entry i is nil when no gradient flows to input i: the input is absent, has an integer,
//     bool or string element type, or is an index, shape, axes or other structural operand
//     (Reshape's shape, Gather's indices, Slice's starts, Where's condition, ...), or the output
//     does not depend on it differentiably. nil means a zero gradient; the hook never has to
//     build zeros.
//   - A non-nil entry has exactly the element type and shape of input i, even when the input
//     was broadcast: the hook reduces (ReduceSum over the broadcast axes, then Reshape) itself.
//   - c.OutGrads[j] is nil when no gradient flows back through output j (the loss does not
//     depend on it); otherwise it has output j's element type and shape. The hook is called only
//     when at least one entry is non-nil, and must treat nil entries as zeros.
//   - The hook reads the forward node's inputs and outputs freely (they are values of c.Graph
//     or of a graph it sees) but never modifies the forward node, its values, or other nodes.
//   - Summing the gradients of a value read by several nodes is the caller's job.
//   - When it cannot differentiate this particular node (an attribute combination it does not
//     support, an unknown rank it needs) it returns an error naming the reason.
type GradFunc func(c *GradContext) ([]*Value, error)

// GradContext is what a gradient hook sees.
type GradContext struct {
	Node  *Node  // the forward node being differentiated
	Graph *Graph // the graph the backward nodes are added to
	Namer *Namer // names for new values and nodes, unique in Graph
	// OutGrads[j] is the gradient of the loss with respect to Node.Outputs[j], nil where none
	// flows. len(OutGrads) == len(Node.Outputs).
	OutGrads []*Value
}

// In returns input i of the forward node (nil when absent).
func (c *GradContext) In(i int) *Value { return c.Node.Input(i) }

// Out returns output i of the forward node (nil when absent).
func (c *GradContext) Out(i int) *Value { return c.Node.Output(i) }

// OutGrad returns the gradient of output j (nil when none flows).
func (c *GradContext) OutGrad(j int) *Value {
	if j < len(c.OutGrads) {
		return c.OutGrads[j]
	}
	return nil
}

// Opset returns the opset version the graph imports for domain.
func (c *GradContext) Opset(domain string) int64 { return c.Graph.OpsetVersion(domain) }

// AddNode adds a node of domain::op (domain "" for ONNX) with nout outputs to the graph being
// built, checked against the op's contract and with its output types inferred; see
// Graph.AddNode.
func (c *GradContext) AddNode(domain, op string, ins []*Value, nout int, attrs ...Attr) (*Node, error) {
	return c.Graph.AddNode(c.Namer, domain, op, ins, nout, attrs...)
}

// Apply adds a single-output node and returns its output.
func (c *GradContext) Apply(domain, op string, ins []*Value, attrs ...Attr) (*Value, error) {
	n, err := c.AddNode(domain, op, ins, 1, attrs...)
	if err != nil {
		return nil, err
	}
	return n.Outputs[0], nil
}

// Reasons for ops without a gradient.
const (
	noGradBool        = "not differentiable: bool output"
	noGradCompare     = "not differentiable: comparison (bool output)"
	noGradLogic       = "not differentiable: logical op (bool output)"
	noGradBitwise     = "integer output: bitwise op on integers"
	noGradIndex       = "integer output: indices"
	noGradShape       = "shape computation: the output depends only on input shapes"
	noGradGenerate    = "no differentiable input: the output is generated from shapes, sizes or attributes"
	noGradRandom      = "random sampling: no gradient flows to the inputs (they only give shapes, types or probabilities of a discrete draw)"
	noGradPiecewise   = "piecewise constant: the gradient is zero almost everywhere"
	noGradQuant       = "integer output: quantization (straight-through estimators are not modelled)"
	noGradString      = "string output"
	noGradOptimizer   = "optimizer update step: applied to gradients, not differentiated"
	noGradSequenceLen = "integer output: sequence length"
)

// noGradOps lists the ops that have no gradient, with the reason. Ops whose differentiability
// depends on the node (Cast to an integer type, Where's data inputs, TopK's values, ...) are not
// here: their Grad hook returns nil for what does not flow.
var noGradOps = []struct{ domain, op, reason string }{
	{"", "Shape", noGradShape},
	{"", "Size", noGradShape},
	{"", "EyeLike", noGradShape},
	{"", "ConstantOfShape", noGradGenerate},
	{"", "Constant", noGradGenerate},
	{"", "Range", noGradGenerate},
	{"", "HannWindow", noGradGenerate},
	{"", "HammingWindow", noGradGenerate},
	{"", "BlackmanWindow", noGradGenerate},
	{"", "MelWeightMatrix", noGradGenerate},

	{"", "Equal", noGradCompare},
	{"", "Less", noGradCompare},
	{"", "LessOrEqual", noGradCompare},
	{"", "Greater", noGradCompare},
	{"", "GreaterOrEqual", noGradCompare},
	{"", "IsNaN", noGradBool},
	{"", "IsInf", noGradBool},
	{"", "OptionalHasElement", noGradBool},
	{"", "Not", noGradLogic},
	{"", "And", noGradLogic},
	{"", "Or", noGradLogic},
	{"", "Xor", noGradLogic},

	{"", "BitShift", noGradBitwise},
	{"", "BitwiseAnd", noGradBitwise},
	{"", "BitwiseOr", noGradBitwise},
	{"", "BitwiseXor", noGradBitwise},
	{"", "BitwiseNot", noGradBitwise},
	{"", "ArgMax", noGradIndex},
	{"", "ArgMin", noGradIndex},
	{"", "NonZero", noGradIndex},
	{"", "NonMaxSuppression", noGradIndex},
	{"", "SequenceLength", noGradSequenceLen},

	{"", "Floor", noGradPiecewise},
	{"", "Ceil", noGradPiecewise},
	{"", "Round", noGradPiecewise},
	{"", "Sign", noGradPiecewise},
	{"", "Hardmax", noGradPiecewise},

	{"", "RandomNormal", noGradRandom},
	{"", "RandomUniform", noGradRandom},
	{"", "RandomNormalLike", noGradRandom},
	{"", "RandomUniformLike", noGradRandom},
	{"", "Multinomial", noGradRandom},
	{"", "Bernoulli", noGradRandom},

	{"", "QuantizeLinear", noGradQuant},
	{"", "DynamicQuantizeLinear", noGradQuant},
	{"", "MatMulInteger", noGradQuant},
	{"", "ConvInteger", noGradQuant},
	{"", "QLinearMatMul", noGradQuant},
	{"", "QLinearConv", noGradQuant},

	{"", "StringNormalizer", noGradString},
	{"", "TfIdfVectorizer", "no differentiable input: integer or string tokens"},

	{"ai.onnx.preview.training", "Adagrad", noGradOptimizer},
	{"ai.onnx.preview.training", "Adam", noGradOptimizer},
	{"ai.onnx.preview.training", "Momentum", noGradOptimizer},
}

func init() {
	whenOpsRegistered(func() {
		for _, e := range noGradOps {
			MustOp(e.domain, e.op).NoGrad = e.reason
		}
	})
}
