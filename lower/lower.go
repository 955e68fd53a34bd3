package lower

import (
	"errors"
	"fmt"
	"sort"

	"github.com/llmc/llmc/backend/cpu"
	"github.com/llmc/llmc/ir"
)

// ErrUnresolved is wrapped by errors about a value whose size is not known from the input
// dims: it depends on the input data (NonZero, a Reshape to a computed shape, ...) or on shape
// arithmetic the compiler cannot follow. The execution plan then specializes the graph to each
// input shape (Specialize); llmc compile reports the value.
var ErrUnresolved = errors.New("size not known from the input dims (it depends on the input data, or on shape arithmetic the compiler cannot follow)")

// ErrUnsupported is wrapped by errors about a graph the schedule cannot express at all (control
// flow, sequences, string tensors); the execution plan runs such graphs on the interpreter.
var ErrUnsupported = errors.New("not supported by the schedule")

// Options configure Lower.
type Options struct {
	// Precision of the GEMMs with constant weights (0: cpu.DefaultPrecision).
	Precision cpu.Precision
	// NoFusedEpilogues keeps GEMM consumers (bias adds, GELU) as separate steps.
	NoFusedEpilogues bool
	// Types and Known, when set, override the graph's value types and constants: a graph
	// specialized to concrete input shapes (Specialize) lowers through the same rules.
	Types map[*ir.Value]ir.Type
	Known map[*ir.Value]*ir.Tensor
}

type lowerer struct {
	g       *ir.Graph
	opts    Options
	s       *Schedule
	vals    map[*ir.Value]*Value
	users   map[*ir.Value][]*ir.Node
	outs    map[*ir.Value]bool
	fused   map[*ir.Node]bool
	weights map[weightKey]*Weight
	dimSet  map[string]bool
	cur     *ir.Node // the node being lowered (for names)
}

type weightKey struct {
	v      *ir.Value
	transB bool
}

// Lower makes the schedule of g, an optimized graph whose values have types (run
// passes.Optimize, or at least passes.ResolveShapes, first).
func Lower(g *ir.Graph, opts Options) (*Schedule, error) {
	if opts.Precision == 0 {
		opts.Precision = cpu.DefaultPrecision
	}
	l := &lowerer{
		g: g, opts: opts,
		s:       &Schedule{Graph: g, Precision: opts.Precision, types: opts.Types},
		vals:    map[*ir.Value]*Value{},
		users:   map[*ir.Value][]*ir.Node{},
		outs:    map[*ir.Value]bool{},
		fused:   map[*ir.Node]bool{},
		weights: map[weightKey]*Weight{},
		dimSet:  map[string]bool{},
	}
	if err := l.inputs(); err != nil {
		return nil, err
	}
	for _, n := range g.Nodes {
		for _, in := range n.Inputs {
			if in != nil {
				l.users[in] = append(l.users[in], n)
			}
		}
	}
	for _, v := range g.Outputs {
		l.outs[v] = true
	}
	for _, n := range g.Nodes {
		if l.fused[n] {
			continue
		}
		l.cur = n
		if err := l.node(n); err != nil {
			return nil, err
		}
	}
	for _, v := range g.Outputs {
		sv, err := l.value(v)
		if err != nil {
			return nil, fmt.Errorf("output %q: %w", v.Name, err)
		}
		l.s.Outputs = append(l.s.Outputs, sv)
	}
	l.prune()
	l.phases()
	l.lifetimes()
	return l.s, nil
}

// prune drops the steps whose results nothing reads: the shape arithmetic that fed a Reshape
// target, say, once the Reshape became a view that does not read it.
func (l *lowerer) prune() {
	live := map[*Value]bool{}
	for _, v := range l.s.Outputs {
		live[v.Root()] = true
	}
	keep := make([]bool, len(l.s.Steps))
	for i := len(l.s.Steps) - 1; i >= 0; i-- {
		st := l.s.Steps[i]
		for _, v := range st.Writes {
			if live[v.Root()] {
				keep[i] = true
			}
		}
		if !keep[i] {
			continue
		}
		for _, v := range st.Reads {
			live[v.Root()] = true
		}
	}
	steps := l.s.Steps[:0]
	for i, st := range l.s.Steps {
		if keep[i] {
			steps = append(steps, st)
		}
	}
	l.s.Steps = steps
}

// typ is v's type (overridden by Options.Types).
func (l *lowerer) typ(v *ir.Value) ir.Type {
	if t, ok := l.opts.Types[v]; ok {
		return t
	}
	return v.Type
}

// constant is v's data when it is a constant (or known at lowering time).
func (l *lowerer) constant(v *ir.Value) *ir.Tensor {
	if v == nil {
		return nil
	}
	if t := l.opts.Known[v]; t != nil {
		return t
	}
	return v.Const
}

func (l *lowerer) newValue(v *Value) *Value {
	v.ID = len(l.s.Values)
	v.Slot = -1
	l.s.Values = append(l.s.Values, v)
	return v
}

// inputs makes the graph inputs' values and the schedule's dims.
func (l *lowerer) inputs() error {
	for i, v := range l.g.Inputs {
		t := l.typ(v)
		if t.Kind != ir.KindTensor || !t.Ranked {
			return fmt.Errorf("input %q has type %s: %w (tensor inputs of known rank only)", v.Name, t, ErrUnsupported)
		}
		if err := storable(t.DType); err != nil {
			return fmt.Errorf("input %q: %w", v.Name, err)
		}
		for _, d := range t.Shape {
			if d.IsSymbolic() && !l.dimSet[d.Param] {
				l.dimSet[d.Param] = true
				l.s.Dims = append(l.s.Dims, d.Param)
			}
			if d.IsUnknown() {
				return fmt.Errorf("input %q has shape %s with an unnamed dynamic dim: %w (give it a name, e.g. with onnx's dim_param)", v.Name, t.Shape, ErrUnresolved)
			}
		}
		shape, _ := ShapeExprs(t.Shape)
		sv := l.newValue(&Value{Name: v.Name, IR: v, DType: t.DType, Shape: shape, Storage: StorageInput, Input: i})
		l.vals[v] = sv
		l.s.Inputs = append(l.s.Inputs, sv)
	}
	return nil
}

// storable says whether tensors of dt can live in buffers.
func storable(dt ir.DType) error {
	if dt == ir.String || dt == ir.Undefined || dt.Bits()%8 != 0 {
		return fmt.Errorf("%w: %s tensors", ErrUnsupported, dt)
	}
	return nil
}

// shapeOf converts v's type to a schedule shape, failing with ErrUnresolved when a dim is not
// known from the input dims.
func (l *lowerer) shapeOf(v *ir.Value) (ir.DType, []Expr, error) {
	t := l.typ(v)
	if t.Kind != ir.KindTensor {
		return 0, nil, fmt.Errorf("value %q has type %s: %w (tensors only)", v.Name, t, ErrUnsupported)
	}
	if !t.Ranked {
		return 0, nil, fmt.Errorf("value %q has no known rank: %w", v.Name, ErrUnresolved)
	}
	if err := storable(t.DType); err != nil {
		return 0, nil, fmt.Errorf("value %q: %w", v.Name, err)
	}
	shape := make([]Expr, len(t.Shape))
	for i, d := range t.Shape {
		e, ok := DimExpr(d)
		if !ok {
			return 0, nil, fmt.Errorf("value %q has shape %s: %w", v.Name, t.Shape, ErrUnresolved)
		}
		for _, s := range e.Syms() {
			if !l.dimSet[s] {
				return 0, nil, fmt.Errorf("value %q has shape %s: dim %q is not a dim of any input: %w", v.Name, t.Shape, s, ErrUnresolved)
			}
		}
		shape[i] = e
	}
	return t.DType, shape, nil
}

// value returns the schedule value of a graph value that is already available: an input, a
// constant (made on first use) or a node output lowered before.
func (l *lowerer) value(v *ir.Value) (*Value, error) {
	if sv := l.vals[v]; sv != nil {
		return sv, nil
	}
	if t := l.constant(v); t != nil {
		if err := storable(t.DType); err != nil {
			return nil, fmt.Errorf("constant %q: %w", v.Name, err)
		}
		shape := make([]Expr, len(t.Shape))
		for i, d := range t.Shape {
			shape[i] = Const(d)
		}
		sv := l.newValue(&Value{Name: v.Name, IR: v, DType: t.DType, Shape: shape, Storage: StorageConst, Const: t})
		l.vals[v] = sv
		return sv, nil
	}
	return nil, fmt.Errorf("value %q is used before it is computed", v.Name)
}

// values resolves node operands (nil stays nil).
func (l *lowerer) values(vs ...*ir.Value) ([]*Value, error) {
	out := make([]*Value, len(vs))
	for i, v := range vs {
		if v == nil {
			continue
		}
		sv, err := l.value(v)
		if err != nil {
			return nil, err
		}
		out[i] = sv
	}
	return out, nil
}

// define makes the arena value a step writes for a node output.
func (l *lowerer) define(v *ir.Value) (*Value, error) {
	if sv := l.vals[v]; sv != nil {
		return sv, nil
	}
	dt, shape, err := l.shapeOf(v)
	if err != nil {
		return nil, err
	}
	sv := l.newValue(&Value{Name: v.Name, IR: v, DType: dt, Shape: shape, Storage: StorageArena})
	l.vals[v] = sv
	return sv, nil
}

// view makes y a view of x's bytes.
func (l *lowerer) view(y, x *ir.Value) error {
	xv, err := l.value(x)
	if err != nil {
		return err
	}
	dt, shape, err := l.shapeOf(y)
	if err != nil {
		return err
	}
	l.vals[y] = l.newValue(&Value{Name: y.Name, IR: y, DType: dt, Shape: shape, Storage: StorageView, Base: xv})
	return nil
}

// derived makes a constant the lowering computed (a scaled bias, zero shifts).
func (l *lowerer) derived(name string, t *ir.Tensor) *Value {
	shape := make([]Expr, len(t.Shape))
	for i, d := range t.Shape {
		shape[i] = Const(d)
	}
	return l.newValue(&Value{Name: name, DType: t.DType, Shape: shape, Storage: StorageConst, Const: t})
}

// scratch makes a step's temporary arena buffer of the given bytes.
func (l *lowerer) scratch(name string, bytes Expr) *Value {
	return l.newValue(&Value{Name: name, DType: ir.Uint8, Shape: []Expr{bytes}, Storage: StorageArena})
}

// weight returns the (shared) packed form of a constant 2-D float32 weight.
func (l *lowerer) weight(v *ir.Value, transB bool) (*Weight, error) {
	if w := l.weights[weightKey{v, transB}]; w != nil {
		return w, nil
	}
	sv, err := l.value(v)
	if err != nil {
		return nil, err
	}
	t := sv.Const
	k, n := int(t.Shape[0]), int(t.Shape[1])
	if transB {
		k, n = n, k
	}
	w := &Weight{ID: len(l.s.Weights), Value: sv, TransB: transB, K: k, N: n}
	l.s.Weights = append(l.s.Weights, w)
	l.weights[weightKey{v, transB}] = w
	return w, nil
}

// add appends a step.
func (l *lowerer) add(k Kernel, nodes []*ir.Node, reads, writes []*Value) *Step {
	st := &Step{Index: len(l.s.Steps), Kernel: k, Nodes: nodes}
	for _, v := range reads {
		if v != nil {
			st.Reads = append(st.Reads, v)
		}
	}
	for _, v := range writes {
		if v != nil {
			st.Writes = append(st.Writes, v)
		}
	}
	l.s.Steps = append(l.s.Steps, st)
	return st
}

// used reports whether a node output is read or is a graph output.
func (l *lowerer) used(v *ir.Value) bool { return v != nil && (len(l.users[v]) > 0 || l.outs[v]) }

// onlyUser returns the single node reading v when v is not a graph output.
func (l *lowerer) onlyUser(v *ir.Value) *ir.Node {
	if l.outs[v] || len(l.users[v]) != 1 {
		return nil
	}
	return l.users[v][0]
}

// rule lowers a node to fast kernels, or returns false (nothing added) to leave it to the next
// rule and finally to the reference step.
type rule func(l *lowerer, n *ir.Node) (bool, error)

// rules holds the lowering rules by qualified op name ("Op" or "domain::Op"), tried in order.
var rules = map[string][]rule{}

func register(domain, op string, r rule) {
	k := op
	if domain != "" {
		k = domain + "::" + op
	}
	rules[k] = append(rules[k], r)
}

// node lowers one node (a panicking rule becomes an error naming the node).
func (l *lowerer) node(n *ir.Node) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%s: the lowering failed: %v", n.Describe(), p)
		}
	}()
	// outputs already known (constants, values computed at lowering time) need no step
	done := true
	for _, o := range n.Outputs {
		if o != nil && l.constant(o) == nil && l.used(o) {
			done = false
		}
	}
	if done {
		return nil
	}
	if n.Domain == "" && n.Op == "Constant" {
		t, err := ir.ConstantValue(n)
		if err != nil {
			return fmt.Errorf("%s: %w", n.Describe(), err)
		}
		sv := l.derived(n.Outputs[0].Name, t)
		sv.IR = n.Outputs[0]
		l.vals[n.Outputs[0]] = sv
		return nil
	}
	if len(n.Subgraphs()) > 0 {
		return l.ref(n) // control flow runs on the reference implementation
	}
	for _, r := range rules[n.QualifiedOp()] {
		ok, err := r(l, n)
		if err != nil {
			return fmt.Errorf("%s: %w", n.Describe(), err)
		}
		if ok {
			return nil
		}
	}
	return l.ref(n)
}

// ref lowers n to a step running the reference implementation.
func (l *lowerer) ref(n *ir.Node) error {
	s := n.Schema()
	if s == nil || s.Eval == nil {
		reason := "unknown op"
		if s != nil {
			reason = s.NoEval
		}
		return fmt.Errorf("%s: no CPU kernel and no reference implementation (%s): %w", n.Describe(), reason, ErrUnsupported)
	}
	ins, err := l.values(n.Inputs...)
	if err != nil {
		return fmt.Errorf("%s: %w", n.Describe(), err)
	}
	outs := make([]*Value, len(n.Outputs))
	for i, o := range n.Outputs {
		if !l.used(o) {
			continue
		}
		if outs[i], err = l.define(o); err != nil {
			return fmt.Errorf("%s: %w", n.Describe(), err)
		}
	}
	k := &Ref{Node: n, In: ins, Out: outs, FreeIR: n.FreeValues()}
	for _, v := range k.FreeIR {
		fv, err := l.value(v)
		if err != nil {
			return fmt.Errorf("%s: %w", n.Describe(), err)
		}
		k.Free = append(k.Free, fv)
	}
	l.add(k, []*ir.Node{n}, append(append([]*Value{}, ins...), k.Free...), outs)
	return nil
}

// phases marks the bind steps (those reading only constants and bind values, and Shape/Size,
// which read only their input's shape) and moves them first.
func (l *lowerer) phases() {
	var bind, run []*Step
	isBind := func(v *Value) bool {
		r := v.Root()
		return r.Storage == StorageConst || r.Storage == StorageBind
	}
	for _, st := range l.s.Steps {
		ok := true
		if _, shape := st.Kernel.(*ShapeOf); !shape {
			for _, v := range st.Reads {
				if !isBind(v) {
					ok = false
					break
				}
			}
			for _, n := range st.Nodes {
				if s := n.Schema(); s != nil && s.Flags&ir.Nondeterministic != 0 {
					ok = false
				}
			}
		}
		if !ok || len(st.Writes) == 0 {
			run = append(run, st)
			continue
		}
		st.Bind = true
		for _, v := range st.Writes {
			if v.Storage == StorageArena {
				v.Storage = StorageBind
			}
		}
		bind = append(bind, st)
	}
	l.s.Steps = append(bind, run...)
	for i, st := range l.s.Steps {
		st.Index = i
	}
}

// lifetimes gives every arena value a slot live from its first write to its last read (views
// keep their base alive; graph outputs live to the end), and every bind value a bind slot.
func (l *lowerer) lifetimes() {
	s := l.s
	slotOf := map[*Value]*Slot{}
	for _, st := range s.Steps {
		for _, v := range st.Writes {
			r := v.Root()
			if slotOf[r] != nil {
				continue
			}
			switch r.Storage {
			case StorageArena:
				sl := &Slot{Bytes: r.Bytes(), First: st.Index, Last: st.Index, Value: r}
				r.Slot = len(s.Slots)
				s.Slots = append(s.Slots, sl)
				slotOf[r] = sl
			case StorageBind:
				sl := &Slot{Bytes: r.Bytes(), First: 0, Last: len(s.Steps), Value: r}
				r.Slot = len(s.BindSlots)
				s.BindSlots = append(s.BindSlots, sl)
				slotOf[r] = sl
			}
		}
		for _, v := range st.Reads {
			if sl := slotOf[v.Root()]; sl != nil && v.Root().Storage == StorageArena {
				sl.Last = max(sl.Last, st.Index)
			}
		}
	}
	for _, v := range s.Outputs {
		if sl := slotOf[v.Root()]; sl != nil && v.Root().Storage == StorageArena {
			sl.Last = len(s.Steps)
		}
	}
	// a stable, readable slot order: by first use
	sort.SliceStable(s.Slots, func(i, j int) bool { return s.Slots[i].First < s.Slots[j].First })
	for i, sl := range s.Slots {
		sl.Value.Slot = i
	}
}

// HasKernel reports whether nodes of domain::op have lowering rules to fast kernels (when a
// node's types or attributes fit none, and for every other op, the node runs as a Ref step).
func HasKernel(domain, op string) bool {
	k := op
	if domain != "" {
		k = domain + "::" + op
	}
	return len(rules[k]) > 0 || (domain == "" && op == "Constant")
}
