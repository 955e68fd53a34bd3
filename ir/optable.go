package ir

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// OpFlags are static properties of an op used by passes.
type OpFlags uint32

// Op flags.
const (
	// Elementwise: output element i depends only on input elements at i (after broadcasting).
	Elementwise OpFlags = 1 << iota
	// Commutative: the first two inputs may be swapped.
	Commutative
	// Nondeterministic: results vary between runs (random ops); never folded or CSE'd.
	Nondeterministic
	// HasSubgraphs: the op runs graphs held in attributes (If, Loop, Scan, ...).
	HasSubgraphs
)

// AttrSpec declares one attribute an op accepts.
type AttrSpec struct {
	Name     string
	Kind     AttrKind
	Required bool
	Default  *Attr // nil: no default (absent means "not given")
}

// InferContext is what a type/shape inference hook sees.
type InferContext struct {
	Node   *Node
	Graph  *Graph    // graph holding the node (for subgraph scoping)
	Opset  int64     // opset version of the node's domain
	In     []Type    // input types; Kind==KindUnknown for absent optional inputs
	Consts []*Tensor // input data when the input is a constant, else nil
}

// InferFunc computes the output types of a node (one per node output, absent outputs included).
// It returns an error when the inputs contradict the op's contract; it returns partially known
// types (unknown dims, unranked) when it cannot know more.
type InferFunc func(c *InferContext) ([]Type, error)

// Datum is a run-time value: *Tensor, *Sequence or *Optional.
type Datum interface{ datum() }

func (*Tensor) datum() {}

// Sequence is a run-time ONNX sequence of tensors.
type Sequence struct {
	Elem  Type
	Items []*Tensor
}

func (*Sequence) datum() {}

// Optional is a run-time ONNX optional; Value is nil when empty.
type Optional struct {
	Elem  Type
	Value Datum
}

func (*Optional) datum() {}

// EvalContext is what an evaluation hook may ask of the interpreter running it.
type EvalContext interface {
	// Opset is the opset version of the evaluated node's domain.
	Opset() int64
	// NewTensor allocates a zeroed tensor, refusing sizes over the interpreter's memory cap.
	NewTensor(dt DType, shape []int64) (*Tensor, error)
	// RunGraph runs a subgraph of the node with the given inputs; the subgraph sees the values
	// of enclosing scopes.
	RunGraph(g *Graph, inputs []Datum) ([]Datum, error)
	// Rand returns a uniform float64 in [0,1) from the interpreter's seeded generator.
	Rand() float64
}

// EvalFunc computes a node's outputs from its inputs (nil for absent optional inputs). It returns
// one Datum per node output (nil for outputs it does not produce).
type EvalFunc func(ctx EvalContext, n *Node, in []Datum) ([]Datum, error)

// Cost is the work of one node execution.
type Cost struct {
	FLOPs int64 // floating-point (or integer multiply-add) operations
	Bytes int64 // bytes read plus written
}

// CostFunc estimates the cost of a node given concrete input and output shapes.
type CostFunc func(n *Node, in, out []Type) Cost

// OpSchema is the one definition of an op: its contract and hooks. Every part of llmc that needs
// to know about ops reads this table; none keeps its own switch on op names.
type OpSchema struct {
	Domain   string // "" = ai.onnx
	Name     string
	Since    int64 // first opset version of Domain in which the op exists
	Until    int64 // last opset version in which it exists (0: still current)
	Doc      string
	Category string // math, nn, shape, reduce, logic, quant, control, sequence, training, fused, misc
	Flags    OpFlags
	MinIn    int
	MaxIn    int // -1: variadic
	MinOut   int
	MaxOut   int // -1: variadic
	Attrs    []AttrSpec
	// OptionalIn lists input positions below MinIn that may be left empty (ONNX schemas with an
	// optional input among required ones, e.g. EmbedLayerNormalization's segment_ids).
	OptionalIn []int
	// AnyAttrs accepts attributes not listed (ops whose attribute set varied across versions in
	// ways the table does not spell out).
	AnyAttrs bool

	Infer InferFunc // type and shape inference (required)
	Eval  EvalFunc  // reference evaluation, registered by backend/ref
	// Cost is the cost model (FLOPs and bytes; the counting convention is in cost.go). nil means
	// the cost is not modelled, unless MemoryBound says the op does no arithmetic.
	Cost CostFunc
	// MemoryBound marks ops that only move, copy, reinterpret or fill data (Reshape, Transpose,
	// Gather, Concat, Slice, Cast, Shape, ...): their FLOPs are zero by definition, not for want
	// of a model. They still have a Cost hook, which reports the bytes they move.
	MemoryBound bool
	// ShapeValue computes the value of output 0 when it is a small integer tensor built from
	// shapes (Shape → Gather → Concat → Reshape targets); nil: the op is opaque to ShapeValueOf.
	// Registered in shapevalue.go.
	ShapeValue ShapeValueFunc
	// NoEval marks ops the reference interpreter deliberately does not run, with the reason.
	NoEval string
	// Grad builds the backward computation of a node of this op (see GradFunc); the autodiff
	// package fills it.
	Grad GradFunc
	// NoGrad says why the op has no gradient (integer or bool output, shape computation,
	// piecewise constant, ...): no gradient flows through its nodes to any input. An op has at
	// most one of Grad and NoGrad.
	NoGrad string
	// Function defines the op as a body of other ops (llmc's own fused ops): the ONNX exporter
	// writes it as a model-local function and the reference interpreter runs it.
	Function *Function
}

// Hooks that files of this package attach to ops registered in other files (cost.go, grad.go)
// wait for the whole table: Go runs a package's init functions file by file in name order, so an
// init in cost.go runs before the ops_*.go files register their ops. Such files queue their work
// with whenOpsRegistered; optable.go's init, which runs after every ops_*.go file's, runs it.
var (
	opsRegistered     bool
	afterRegistration []func()
)

// whenOpsRegistered runs f once every op of the package is in the table (at once if it is).
func whenOpsRegistered(f func()) {
	if opsRegistered {
		f()
		return
	}
	afterRegistration = append(afterRegistration, f)
}

func init() {
	opsRegistered = true
	for _, f := range afterRegistration {
		f()
	}
	afterRegistration = nil
}

// Key returns the qualified op name: "Op" or "domain::Op".
func (s *OpSchema) Key() string { return opKey(s.Domain, s.Name) }

// AttrSpec returns the declared attribute called name, or nil.
func (s *OpSchema) AttrSpec(name string) *AttrSpec {
	for i := range s.Attrs {
		if s.Attrs[i].Name == name {
			return &s.Attrs[i]
		}
	}
	return nil
}

func normDomain(d string) string {
	if d == "ai.onnx" {
		return ""
	}
	return d
}

func opKey(domain, name string) string {
	domain = normDomain(domain)
	if domain == "" {
		return name
	}
	return domain + "::" + name
}

var opTable = map[string]*OpSchema{}

// RegisterOp adds an op to the table. It panics on duplicates: the table is built at init time.
func RegisterOp(s *OpSchema) *OpSchema {
	s.Domain = normDomain(s.Domain)
	k := s.Key()
	if _, dup := opTable[k]; dup {
		panic("ir: op registered twice: " + k)
	}
	if s.Infer == nil {
		panic("ir: op without inference hook: " + k)
	}
	sort.Slice(s.Attrs, func(i, j int) bool { return s.Attrs[i].Name < s.Attrs[j].Name })
	opTable[k] = s
	return s
}

// LookupOp returns the schema of domain::name, or nil.
func LookupOp(domain, name string) *OpSchema { return opTable[opKey(domain, name)] }

// MustOp returns the schema of domain::name and panics if missing (for hook registration).
func MustOp(domain, name string) *OpSchema {
	s := LookupOp(domain, name)
	if s == nil {
		panic("ir: unknown op " + opKey(domain, name))
	}
	return s
}

// Ops returns every schema, sorted by key.
func Ops() []*OpSchema {
	out := make([]*OpSchema, 0, len(opTable))
	for _, s := range opTable {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

// KnownDomains lists the domains that have ops in the table, plus ai.onnx.ml (accepted for opset
// imports even though llmc runs none of its ops).
func KnownDomains() []string {
	seen := map[string]bool{"ai.onnx.ml": true}
	for _, s := range opTable {
		seen[s.Domain] = true
	}
	var ds []string
	for d := range seen {
		ds = append(ds, d)
	}
	sort.Strings(ds)
	return ds
}

// ErrUnknownOp is wrapped by errors about ops missing from the op table.
var ErrUnknownOp = errors.New("unknown op")

// CheckNodeContract checks a node against its schema: op known, arity, attribute names and kinds,
// required attributes, and the opset range. It does not look at types.
func CheckNodeContract(n *Node, opset int64) error {
	s := n.Schema()
	if s == nil {
		if LookupOpAnyDomain(n.Op) != nil && n.Domain != "" {
			return fmt.Errorf("%s: %w: op %s is not defined in domain %q", n.Describe(), ErrUnknownOp, n.Op, n.Domain)
		}
		return fmt.Errorf("%s: %w %s", n.Describe(), ErrUnknownOp, n.QualifiedOp())
	}
	if opset > 0 && opset < s.Since {
		return fmt.Errorf("%s: %s exists from opset %d of domain %q, but the model imports opset %d", n.Describe(), s.Name, s.Since, displayDomain(s.Domain), opset)
	}
	if s.Until > 0 && opset > s.Until {
		return fmt.Errorf("%s: %s was removed after opset %d of domain %q, but the model imports opset %d", n.Describe(), s.Name, s.Until, displayDomain(s.Domain), opset)
	}
	if err := checkArity("input", len(n.Inputs), s.MinIn, s.MaxIn); err != nil {
		return fmt.Errorf("%s: %v", n.Describe(), err)
	}
	if err := checkArity("output", len(n.Outputs), s.MinOut, s.MaxOut); err != nil {
		return fmt.Errorf("%s: %v", n.Describe(), err)
	}
	for i := 0; i < s.MinIn && i < len(n.Inputs); i++ {
		if n.Inputs[i] == nil && !containsInt(s.OptionalIn, i) {
			return fmt.Errorf("%s: required input %d is missing", n.Describe(), i)
		}
	}
	for i := range n.Attrs {
		a := &n.Attrs[i]
		if i > 0 && n.Attrs[i-1].Name >= a.Name {
			return fmt.Errorf("%s: attribute %q given twice or attributes unsorted", n.Describe(), a.Name)
		}
		spec := s.AttrSpec(a.Name)
		if spec == nil {
			if s.AnyAttrs {
				continue
			}
			return fmt.Errorf("%s: unknown attribute %q (accepted: %s)", n.Describe(), a.Name, attrNames(s))
		}
		if spec.Kind != a.Kind && a.RefAttrName == "" {
			return fmt.Errorf("%s: attribute %q has type %s, want %s", n.Describe(), a.Name, a.Kind, spec.Kind)
		}
	}
	for _, spec := range s.Attrs {
		if spec.Required && n.Attr(spec.Name) == nil {
			return fmt.Errorf("%s: required attribute %q is missing", n.Describe(), spec.Name)
		}
	}
	return nil
}

// LookupOpAnyDomain finds an op by name in any domain (for better error messages).
func LookupOpAnyDomain(name string) *OpSchema {
	for _, s := range opTable {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func displayDomain(d string) string {
	if d == "" {
		return "ai.onnx"
	}
	return d
}

func attrNames(s *OpSchema) string {
	if len(s.Attrs) == 0 {
		return "none"
	}
	names := make([]string, len(s.Attrs))
	for i, a := range s.Attrs {
		names[i] = a.Name
	}
	return strings.Join(names, ", ")
}

func checkArity(what string, got, lo, hi int) error {
	if got < lo || (hi >= 0 && got > hi) {
		want := fmt.Sprintf("%d", lo)
		switch {
		case hi < 0:
			want = fmt.Sprintf("at least %d", lo)
		case hi != lo:
			want = fmt.Sprintf("%d to %d", lo, hi)
		}
		return fmt.Errorf("has %d %ss, want %s", got, what, want)
	}
	return nil
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
