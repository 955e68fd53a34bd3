// Package ref is llmc's reference interpreter: a plain-Go evaluator of IR graphs whose semantics
// follow the ONNX operator specification exactly. It is the oracle that constant folding, every
// optimization pass, every kernel and every backend are checked against, so it favours obvious
// correctness (float64 accumulation, straightforward loops) over speed.
//
// Evaluation hooks live in the op table (ir.OpSchema.Eval); this package registers them in its
// init functions, one file per op family.
package ref

import (
	"errors"
	"fmt"
	"math/rand"
	"runtime/debug"

	"github.com/llmc/llmc/ir"
)

// DefaultMaxMemory is the default cap on the bytes of live tensors during a run (16 GiB).
const DefaultMaxMemory int64 = 16 << 30

// Options configure a run.
type Options struct {
	// MaxMemory caps the bytes of live intermediate tensors; a node that would exceed it fails
	// with ErrMemoryLimit before allocating. <= 0 means DefaultMaxMemory.
	MaxMemory int64
	// Seed seeds the generator used by random ops.
	Seed int64
}

// ErrMemoryLimit is returned when a run would exceed Options.MaxMemory.
var ErrMemoryLimit = errors.New("memory limit exceeded")

// Run evaluates graph g on the given inputs (by graph-input name) and returns its outputs in
// order. Inputs are checked against the declared types first (names, dtypes, ranks, concrete and
// symbolic dims, where a symbol must bind to one size across all inputs).
func Run(g *ir.Graph, inputs map[string]ir.Datum, opts Options) ([]ir.Datum, error) {
	if opts.MaxMemory <= 0 {
		opts.MaxMemory = DefaultMaxMemory
	}
	if err := CheckInputs(g, inputs); err != nil {
		return nil, err
	}
	in := &interp{opts: opts, rng: rand.New(rand.NewSource(opts.Seed))}
	args := make([]ir.Datum, len(g.Inputs))
	for i, v := range g.Inputs {
		args[i] = inputs[v.Name]
	}
	return in.runGraph(g, nil, args)
}

// CheckInputs validates run-time inputs against g's declared inputs.
func CheckInputs(g *ir.Graph, inputs map[string]ir.Datum) error {
	known := map[string]bool{}
	for _, v := range g.Inputs {
		known[v.Name] = true
	}
	for name := range inputs {
		if !known[name] {
			return fmt.Errorf("input %q is not an input of the model (inputs: %s)", name, inputNames(g))
		}
	}
	syms := map[string]int64{}
	symFrom := map[string]string{}
	for _, v := range g.Inputs {
		d, ok := inputs[v.Name]
		if !ok || d == nil {
			return fmt.Errorf("input %q (%s) is missing", v.Name, v.Type)
		}
		t, isT := d.(*ir.Tensor)
		if v.Type.Kind != ir.KindTensor {
			if isT && v.Type.Kind != ir.KindUnknown {
				return fmt.Errorf("input %q: got a tensor, want %s", v.Name, v.Type)
			}
			continue
		}
		if !isT {
			return fmt.Errorf("input %q: got a %T, want tensor %s", v.Name, d, v.Type)
		}
		if err := t.Validate(); err != nil {
			return fmt.Errorf("input %q: %v", v.Name, err)
		}
		if v.Type.DType != ir.Undefined && t.DType != v.Type.DType {
			return fmt.Errorf("input %q: got element type %s, want %s", v.Name, t.DType, v.Type.DType)
		}
		if !v.Type.Ranked {
			continue
		}
		if len(t.Shape) != len(v.Type.Shape) {
			return fmt.Errorf("input %q: got rank %d (shape %v), want rank %d %s", v.Name, len(t.Shape), t.Shape, len(v.Type.Shape), v.Type.Shape)
		}
		for i, d := range v.Type.Shape {
			got := t.Shape[i]
			switch {
			case d.IsConcrete() && d.Value != got:
				return fmt.Errorf("input %q: dim %d is %d, want %d (shape %v, want %s)", v.Name, i, got, d.Value, t.Shape, v.Type.Shape)
			case d.IsSymbolic():
				if prev, ok := syms[d.Param]; ok && prev != got {
					return fmt.Errorf("input %q: dim %d (%s) is %d, but %s bound %s to %d", v.Name, i, d.Param, got, symFrom[d.Param], d.Param, prev)
				}
				syms[d.Param] = got
				symFrom[d.Param] = fmt.Sprintf("input %q", v.Name)
			}
		}
	}
	return nil
}

func inputNames(g *ir.Graph) string {
	s := ""
	for i, v := range g.Inputs {
		if i > 0 {
			s += ", "
		}
		s += v.Name
	}
	return s
}

type interp struct {
	opts Options
	rng  *rand.Rand
	live int64 // bytes of live tensors accounted so far
}

// frame holds the values of one graph activation; parent links to the enclosing scope.
type frame struct {
	vals   map[*ir.Value]ir.Datum
	parent *frame
}

func (f *frame) get(v *ir.Value) (ir.Datum, bool) {
	for ; f != nil; f = f.parent {
		if d, ok := f.vals[v]; ok {
			return d, true
		}
	}
	return nil, false
}

func datumBytes(d ir.Datum) int64 {
	switch x := d.(type) {
	case *ir.Tensor:
		if x == nil {
			return 0
		}
		n := int64(len(x.Raw))
		for _, s := range x.Strings {
			n += int64(len(s)) + 16
		}
		return n
	case *ir.Sequence:
		var n int64
		for _, t := range x.Items {
			n += datumBytes(t)
		}
		return n
	case *ir.Optional:
		if x.Value != nil {
			return datumBytes(x.Value)
		}
	}
	return 0
}

func (in *interp) runGraph(g *ir.Graph, parent *frame, args []ir.Datum) ([]ir.Datum, error) {
	if len(args) != len(g.Inputs) {
		return nil, fmt.Errorf("graph %q takes %d inputs, got %d", g.Name, len(g.Inputs), len(args))
	}
	f := &frame{vals: make(map[*ir.Value]ir.Datum, len(g.Nodes)+len(g.Inputs)+len(g.Consts)), parent: parent}
	for i, v := range g.Inputs {
		f.vals[v] = args[i]
	}
	for _, c := range g.Consts {
		f.vals[c] = c.Const
	}
	// lastUse[v] = index of the last node of g reading v (directly or from a subgraph), so that
	// intermediates are released as soon as they are dead.
	lastUse := map[*ir.Value]int{}
	for i, n := range g.Nodes {
		for _, v := range n.Inputs {
			lastUse[v] = i
		}
		for _, sg := range n.Subgraphs() {
			for v := range sg.FreeValues() {
				lastUse[v] = i
			}
		}
	}
	keep := map[*ir.Value]bool{}
	for _, v := range g.Outputs {
		keep[v] = true
	}
	var owned int64
	defer func() { in.live -= owned }()
	for i, n := range g.Nodes {
		outs, err := in.evalNode(g, f, n)
		if err != nil {
			return nil, err
		}
		for j, v := range n.Outputs {
			if v == nil {
				continue
			}
			f.vals[v] = outs[j]
			b := datumBytes(outs[j])
			owned += b
			in.live += b
		}
		for _, v := range n.Inputs {
			if v != nil && lastUse[v] == i && v.Def != nil && !keep[v] {
				if _, mine := f.vals[v]; mine {
					b := datumBytes(f.vals[v])
					owned -= b
					in.live -= b
					delete(f.vals, v)
				}
			}
		}
		if in.live > in.opts.MaxMemory {
			return nil, fmt.Errorf("graph %q: %s: %w: live tensors use %d bytes, cap is %d", g.Name, n.Describe(), ErrMemoryLimit, in.live, in.opts.MaxMemory)
		}
	}
	res := make([]ir.Datum, len(g.Outputs))
	for i, v := range g.Outputs {
		d, ok := f.get(v)
		if !ok {
			return nil, fmt.Errorf("graph %q: output %q was not computed", g.Name, v.Name)
		}
		res[i] = d
	}
	return res, nil
}

// nodeCtx implements ir.EvalContext for one node evaluation.
type nodeCtx struct {
	in    *interp
	frame *frame
	opset int64
	node  *ir.Node
}

func (c *nodeCtx) Opset() int64  { return c.opset }
func (c *nodeCtx) Rand() float64 { return c.in.rng.Float64() }
func (c *nodeCtx) NewTensor(dt ir.DType, shape []int64) (*ir.Tensor, error) {
	budget := c.in.opts.MaxMemory - c.in.live
	t, err := ir.NewTensor(dt, shape, max(budget, 1))
	if err != nil {
		if errors.Is(err, ir.ErrTooLarge) {
			return nil, fmt.Errorf("%w: %v", ErrMemoryLimit, err)
		}
		return nil, err
	}
	return t, nil
}
func (c *nodeCtx) RunGraph(g *ir.Graph, inputs []ir.Datum) ([]ir.Datum, error) {
	return c.in.runGraph(g, c.frame, inputs)
}

func (in *interp) evalNode(g *ir.Graph, f *frame, n *ir.Node) (outs []ir.Datum, err error) {
	s := n.Schema()
	if s == nil {
		return nil, fmt.Errorf("graph %q: %s: unknown op", g.Name, n.Describe())
	}
	if s.Eval == nil {
		why := s.NoEval
		if why == "" {
			why = "no reference implementation"
		}
		return nil, fmt.Errorf("graph %q: %s: %w: %s", g.Name, n.Describe(), ErrUnsupported, why)
	}
	args := make([]ir.Datum, len(n.Inputs))
	for i, v := range n.Inputs {
		if v == nil {
			continue
		}
		d, ok := f.get(v)
		if !ok {
			return nil, fmt.Errorf("graph %q: %s: input %q has no value", g.Name, n.Describe(), v.Name)
		}
		args[i] = d
	}
	ctx := &nodeCtx{in: in, frame: f, opset: g.OpsetVersion(n.Domain), node: n}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("graph %q: %s: evaluation panicked: %v\n%s", g.Name, n.Describe(), r, debug.Stack())
		}
	}()
	outs, err = s.Eval(ctx, n, args)
	if err != nil {
		return nil, fmt.Errorf("graph %q: %s: %w", g.Name, n.Describe(), err)
	}
	if len(outs) < len(n.Outputs) {
		return nil, fmt.Errorf("graph %q: %s: produced %d outputs, want %d", g.Name, n.Describe(), len(outs), len(n.Outputs))
	}
	for i, v := range n.Outputs {
		if v == nil {
			continue
		}
		if outs[i] == nil {
			return nil, fmt.Errorf("graph %q: %s: output %d %q was not produced", g.Name, n.Describe(), i, v.Name)
		}
		if t, ok := outs[i].(*ir.Tensor); ok && v.Type.Kind == ir.KindTensor {
			if v.Type.DType != ir.Undefined && t.DType != v.Type.DType {
				return nil, fmt.Errorf("graph %q: %s: output %q has element type %s, declared %s", g.Name, n.Describe(), v.Name, t.DType, v.Type.DType)
			}
			if v.Type.Ranked && len(v.Type.Shape) != len(t.Shape) {
				return nil, fmt.Errorf("graph %q: %s: output %q has shape %v, declared %s", g.Name, n.Describe(), v.Name, t.Shape, v.Type)
			}
		}
	}
	return outs[:len(n.Outputs)], nil
}

// ErrUnsupported marks ops or dtypes the interpreter does not implement.
var ErrUnsupported = errors.New("unsupported")

// Unsupportedf returns an error wrapping ErrUnsupported (for hooks: an unhandled dtype or mode).
func Unsupportedf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, args...))
}

// EvalNode evaluates one node of graph g on the given inputs (for constant folding). Nodes with
// subgraphs are evaluated with no enclosing values; folding skips them anyway.
func EvalNode(g *ir.Graph, n *ir.Node, inputs []ir.Datum, opts Options) ([]ir.Datum, error) {
	return evalNodeScope(g, n, inputs, nil, opts)
}

// evalNodeScope is EvalNode with the outer-scope values n's subgraphs read.
func evalNodeScope(g *ir.Graph, n *ir.Node, inputs []ir.Datum, scope map[*ir.Value]ir.Datum, opts Options) ([]ir.Datum, error) {
	if opts.MaxMemory <= 0 {
		opts.MaxMemory = DefaultMaxMemory
	}
	in := &interp{opts: opts, rng: rand.New(rand.NewSource(opts.Seed))}
	f := &frame{vals: map[*ir.Value]ir.Datum{}}
	for v, d := range scope {
		f.vals[v] = d
	}
	for i, v := range n.Inputs {
		if v != nil && i < len(inputs) {
			f.vals[v] = inputs[i]
		}
	}
	return in.evalNode(g, f, n)
}
