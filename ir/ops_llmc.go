package ir

import "fmt"

// llmc's own fused ops (domain "llmc"). Each is a MatMul by a 2-D weight together with the op
// that consumes its result (bias Add, BiasGelu, FastGelu, SkipLayerNormalization), which the CPU
// backend runs as one kernel: the pre-packed GEMM with that consumer as its epilogue. So the graph
// shows one node per kernel.
//
// Each has a Function: its definition as a body of ONNX and com.microsoft ops. The ONNX exporter
// writes that body into the model as a model-local function, so other runtimes (ONNX Runtime
// inlines model-local functions) run llmc's optimized graphs unchanged, and the reference
// interpreter evaluates the op by running the body. Their arity is fixed (no optional inputs or
// outputs) because ONNX Runtime's function inlining wants a call to bind every formal parameter;
// the optimizer supplies zero vectors where the consumer had no bias or beta.

// LLMCDomain is the domain of llmc's fused ops.
const LLMCDomain = "llmc"

// Function is an op's definition as a graph of other ops over formal parameter names.
type Function struct {
	Inputs  []string         // formal inputs, in the op's input order
	Outputs []string         // formal outputs, in the op's output order
	Attrs   []string         // attributes of the op the body reads
	Opsets  map[string]int64 // minimum opset version per domain the body needs
	Nodes   []FunctionNode
}

// FunctionNode is one node of a Function body. Inputs and outputs name formal parameters or
// body-internal values ("" is an absent optional input); AttrRefs maps an attribute of the body
// node to the attribute of the calling node it takes its value from (absent on the caller: the
// body op's default applies).
type FunctionNode struct {
	Domain, Op      string
	Inputs, Outputs []string
	AttrRefs        map[string]string
}

// Instantiate builds the body of f for a call by n, over fresh values: ins[i] and outs[i] are the
// values standing for formal input and output i (ins[i] is nil when the caller leaves input i
// absent), each typed like the caller's value where it has one. Body-internal values are new too.
// The caller's own values and nodes are not touched.
func (f *Function) Instantiate(n *Node) (nodes []*Node, ins, outs []*Value) {
	vals := map[string]*Value{}
	ins = make([]*Value, len(f.Inputs))
	for i, name := range f.Inputs {
		if c := n.Input(i); c != nil {
			ins[i] = &Value{Name: n.Name + "/" + name, Type: c.Type, Const: c.Const}
			vals[name] = ins[i]
		}
	}
	outs = make([]*Value, len(f.Outputs))
	for i, name := range f.Outputs {
		outs[i] = &Value{Name: n.Name + "/" + name}
		vals[name] = outs[i]
	}
	get := func(name string) *Value {
		if name == "" {
			return nil
		}
		if v, ok := vals[name]; ok {
			return v
		}
		v := &Value{Name: n.Name + "/" + name}
		vals[name] = v
		return v
	}
	for _, fn := range f.Nodes {
		b := &Node{Name: n.Name + "/" + fn.Op, Op: fn.Op, Domain: fn.Domain}
		for _, s := range fn.Inputs {
			b.Inputs = append(b.Inputs, get(s))
		}
		for _, s := range fn.Outputs {
			v := get(s) // nil for an output the body leaves unused ("")
			if v != nil {
				v.Def = b
			}
			b.Outputs = append(b.Outputs, v)
		}
		for to, from := range fn.AttrRefs {
			if a := n.Attr(from); a != nil {
				c := *a
				c.Name = to
				b.SetAttr(c)
			}
		}
		nodes = append(nodes, b)
	}
	// Trailing absent optional inputs are dropped, absent ones in the middle stay nil, as the
	// ops' contracts expect.
	for _, b := range nodes {
		for len(b.Inputs) > 0 && b.Inputs[len(b.Inputs)-1] == nil {
			b.Inputs = b.Inputs[:len(b.Inputs)-1]
		}
	}
	return nodes, ins, outs
}

// Graph returns a scratch graph carrying the body's opsets, for inferring or evaluating the
// nodes of Instantiate.
func (f *Function) Graph() *Graph {
	g := &Graph{Name: "function", Opsets: map[string]int64{}}
	for d, v := range f.Opsets {
		g.Opsets[d] = v
	}
	return g
}

// inferFunction infers an op with a Function by inferring its instantiated body.
func inferFunction(c *InferContext) ([]Type, error) {
	f := c.Node.Schema().Function
	nodes, ins, outs := f.Instantiate(c.Node)
	for i, v := range ins {
		if v != nil && i < len(c.In) {
			v.Type, v.Const = c.In[i], c.Consts[i]
		}
	}
	g := f.Graph()
	for _, b := range nodes {
		ts, err := InferNode(g, b)
		if err != nil {
			return nil, fmt.Errorf("body %s: %w", b.QualifiedOp(), err)
		}
		for i, v := range b.Outputs {
			if v != nil {
				v.Type = ts[i]
			}
		}
	}
	out := make([]Type, len(c.Node.Outputs))
	for i := range out {
		out[i] = outs[i].Type
	}
	return out, nil
}

// inferLLMCMatMul checks what every llmc MatMul op requires of its operands beyond the body's
// own rules: a 2-D weight B (the backends pre-pack it) and an A of rank >= 2.
func inferLLMCMatMul(c *InferContext) ([]Type, error) {
	if bs, ok := c.RankedIn(1); ok && len(bs) != 2 {
		return nil, fmt.Errorf("weight B must have rank 2 [K, N], got %s", bs)
	}
	if as, ok := c.RankedIn(0); ok && len(as) < 2 {
		return nil, fmt.Errorf("A must have rank >= 2, got %s", as)
	}
	if c.In[0].DType != Float32 || c.In[1].DType != Float32 {
		return nil, fmt.Errorf("A and B must be float32, got %s and %s", c.In[0].DType, c.In[1].DType)
	}
	return inferFunction(c)
}

var llmcBodyOpsets = map[string]int64{"": 13, MSDomain: 1}

func init() {
	// MatMul followed by an op of (AB, bias).
	matMulThen := func(name, doc, domain, op string) {
		RegisterOp(&OpSchema{Domain: LLMCDomain, Name: name, Since: 1, Category: "fused",
			Doc:   doc,
			MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
			Infer: inferLLMCMatMul,
			Function: &Function{Inputs: []string{"A", "B", "bias"}, Outputs: []string{"Y"}, Opsets: llmcBodyOpsets,
				Nodes: []FunctionNode{
					{Op: "MatMul", Inputs: []string{"A", "B"}, Outputs: []string{"AB"}},
					{Domain: domain, Op: op, Inputs: []string{"AB", "bias"}, Outputs: []string{"Y"}},
				}}})
	}
	matMulThen("MatMulBias", "MatMul(A, B) + bias: a linear layer on inputs of any rank >= 2; B is a 2-D weight [K, N], bias [N]", "", "Add")
	matMulThen("MatMulBiasGelu", "BiasGelu(MatMul(A, B), bias): exact (erf) GELU of A·B + bias; B is a 2-D weight [K, N], bias [N]", MSDomain, "BiasGelu")
	matMulThen("MatMulFastGelu", "FastGelu(MatMul(A, B), bias): tanh-approximated GELU of A·B + bias; B is a 2-D weight [K, N], bias [N]", MSDomain, "FastGelu")
	RegisterOp(&OpSchema{Domain: LLMCDomain, Name: "MatMulSkipLayerNormalization", Since: 1, Category: "fused",
		Doc: "SkipLayerNormalization(MatMul(A, B), skip, gamma, beta, bias): LayerNorm over the last axis of " +
			"A·B + bias + skip, times gamma plus beta; B is a 2-D weight [K, N]; gamma, beta, bias [N]",
		MinIn: 6, MaxIn: 6, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optFloat("epsilon", 1e-12)},
		Infer: inferLLMCMatMul,
		Function: &Function{Inputs: []string{"A", "B", "skip", "gamma", "beta", "bias"},
			Outputs: []string{"output"},
			Attrs:   []string{"epsilon"}, Opsets: llmcBodyOpsets,
			Nodes: []FunctionNode{
				{Op: "MatMul", Inputs: []string{"A", "B"}, Outputs: []string{"AB"}},
				{Domain: MSDomain, Op: "SkipLayerNormalization", Inputs: []string{"AB", "skip", "gamma", "beta", "bias"},
					Outputs: []string{"output"}, AttrRefs: map[string]string{"epsilon": "epsilon"}},
			}}})
	RegisterOp(&OpSchema{Domain: LLMCDomain, Name: "MatMulSkipLayerNormalizationSum", Since: 1, Category: "fused",
		Doc: "MatMulSkipLayerNormalization that also returns the normalized sum A·B + bias + skip " +
			"(SkipLayerNormalization's input_skip_bias_sum: the residual stream of pre-LN blocks)",
		MinIn: 6, MaxIn: 6, MinOut: 2, MaxOut: 2,
		Attrs: []AttrSpec{optFloat("epsilon", 1e-12)},
		Infer: inferLLMCMatMul,
		Function: &Function{Inputs: []string{"A", "B", "skip", "gamma", "beta", "bias"},
			Outputs: []string{"output", "input_skip_bias_sum"},
			Attrs:   []string{"epsilon"}, Opsets: llmcBodyOpsets,
			Nodes: []FunctionNode{
				{Op: "MatMul", Inputs: []string{"A", "B"}, Outputs: []string{"AB"}},
				{Domain: MSDomain, Op: "SkipLayerNormalization", Inputs: []string{"AB", "skip", "gamma", "beta", "bias"},
					Outputs: []string{"output", "", "", "input_skip_bias_sum"}, AttrRefs: map[string]string{"epsilon": "epsilon"}},
			}}})
}
