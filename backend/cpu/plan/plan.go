// Package plan executes schedules (package lower) on the CPU kernels of backend/cpu: the
// execution plan behind `llmc run` and `llmc bench`. The graph is lowered once, with symbolic
// dims; each input shape a model sees binds the schedule once (buffer sizes, arena offsets from
// codegen/rt's allocator, and the bind steps' shape arithmetic), and the bound plans are
// cached. Weights are packed once and shared. A graph whose sizes the symbolic lowering cannot
// follow is specialized to each input shape and lowered per shape; one the schedule cannot
// express at all (control flow, sizes that depend on the input data) runs on the reference
// interpreter.
package plan

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/llmc/llmc/backend/cpu"
	"github.com/llmc/llmc/backend/ref"
	"github.com/llmc/llmc/codegen/rt"
	"github.com/llmc/llmc/internal/freelist"
	"github.com/llmc/llmc/ir"
	"github.com/llmc/llmc/lower"
)

// Options configure a Model.
type Options struct {
	// Threads is the number of kernel threads (0: GOMAXPROCS).
	Threads int
	// MaxPlans bounds the per-shape plan cache (default 16).
	MaxPlans int
	// NoFusedEpilogues disables GEMM epilogue fusion (for comparisons).
	NoFusedEpilogues bool
	// MaxMemory caps a plan's arena and every buffer in bytes; a larger plan fails with
	// ref.ErrMemoryLimit before anything is allocated (default ref.DefaultMaxMemory).
	MaxMemory int64
	// Precision of the GEMMs with constant weights (0: cpu.DefaultPrecision). The AMX
	// precisions run the float32 kernels on CPUs without AMX (see Model.Precision); their AMX
	// forms are kept beside the float32 panels, which GEMMs of few rows still use.
	Precision cpu.Precision
}

// ErrDataDependent is lower.ErrUnresolved: a size that depends on the input data. Model.Run
// then runs the graph on the reference interpreter.
var ErrDataDependent = lower.ErrUnresolved

// Model runs one graph on the CPU. It is safe for concurrent use.
type Model struct {
	g    *ir.Graph
	opts Options
	pool *cpu.Pool
	// prog is the graph's schedule, lowered once; nil when it is lowered per input shape
	// (lowerErr says why).
	prog     *program
	lowerErr error
	mu       sync.Mutex
	plans    map[string]*Plan
	order    []string
	packMu   sync.Mutex
	packed   map[packKey]*cpu.PackedB // weights packed once, shared by every schedule
}

type packKey struct {
	t      *ir.Tensor
	transB bool
}

// New prepares g (normally optimized with passes.Optimize at -O2, or at least given resolved
// types by passes.ResolveShapes) for CPU execution; a graph whose sizes are not all known from
// its input dims is lowered per input shape.
func New(g *ir.Graph, opts Options) (*Model, error) {
	if opts.MaxPlans <= 0 {
		opts.MaxPlans = 16
	}
	if opts.MaxMemory <= 0 {
		opts.MaxMemory = ref.DefaultMaxMemory
	}
	if opts.Precision == 0 {
		opts.Precision = cpu.DefaultPrecision
	}
	if opts.Precision != cpu.FP32 && !opts.Precision.AMX() {
		return nil, fmt.Errorf("plan: unknown precision %v", opts.Precision)
	}
	var pool *cpu.Pool
	if opts.Threads > 1 {
		pool = cpu.NewPool(opts.Threads)
	} else if opts.Threads == 0 {
		pool = cpu.DefaultPool()
	}
	m := &Model{g: g, opts: opts, pool: pool, plans: map[string]*Plan{}, packed: map[packKey]*cpu.PackedB{}}
	s, err := lower.Lower(g, m.lowerOptions())
	if err != nil {
		if !errors.Is(err, lower.ErrUnresolved) && !errors.Is(err, lower.ErrUnsupported) {
			return nil, err
		}
		m.lowerErr = err
		return m, nil
	}
	if m.prog, err = m.newProgram(s); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Model) lowerOptions() lower.Options {
	return lower.Options{Precision: m.opts.Precision, NoFusedEpilogues: m.opts.NoFusedEpilogues}
}

// Graph returns the graph the model runs.
func (m *Model) Graph() *ir.Graph { return m.g }

// Schedule returns the schedule lowered once for every input shape (nil when the graph is
// lowered per input shape; see LoweringError).
func (m *Model) Schedule() *lower.Schedule {
	if m.prog == nil {
		return nil
	}
	return m.prog.s
}

// LoweringError says why the graph is not lowered once for all shapes (nil when it is).
func (m *Model) LoweringError() error { return m.lowerErr }

// Precision reports the GEMM precision in effect: an AMX precision only when it was asked for
// and the CPU has the AMX unit it needs.
func (m *Model) Precision() cpu.Precision { return m.opts.Precision.Effective() }

// Threads reports the kernel threads in use.
func (m *Model) Threads() int { return m.pool.Threads() }

func shapeKey(g *ir.Graph, inputs map[string]*ir.Tensor) string {
	var b strings.Builder
	for _, v := range g.Inputs {
		fmt.Fprintf(&b, "%v;", inputs[v.Name].Shape)
	}
	return b.String()
}

// PlanFor returns the (cached) plan for the shapes of inputs. Its error wraps
// lower.ErrUnresolved or lower.ErrUnsupported when the graph cannot be planned for them (Run
// then interprets it).
func (m *Model) PlanFor(inputs map[string]*ir.Tensor) (*Plan, error) {
	key := shapeKey(m.g, inputs)
	m.mu.Lock()
	p := m.plans[key]
	m.mu.Unlock()
	if p != nil {
		return p, nil
	}
	p, err := m.build(inputs)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if len(m.order) >= m.opts.MaxPlans {
		delete(m.plans, m.order[0])
		m.order = m.order[1:]
	}
	m.plans[key] = p
	m.order = append(m.order, key)
	m.mu.Unlock()
	return p, nil
}

// build binds the schedule to the inputs' shapes (lowering the graph for them first when it is
// lowered per shape).
func (m *Model) build(inputs map[string]*ir.Tensor) (*Plan, error) {
	prog := m.prog
	if prog == nil {
		if errors.Is(m.lowerErr, lower.ErrUnsupported) {
			return nil, m.lowerErr
		}
		types := map[string]ir.Type{}
		for _, v := range m.g.Inputs {
			types[v.Name] = inputs[v.Name].Type()
		}
		ts, known, err := lower.Specialize(m.g, types)
		if err != nil {
			return nil, err
		}
		opts := m.lowerOptions()
		opts.Types, opts.Known = ts, known
		s, err := lower.Lower(m.g, opts)
		if err != nil {
			return nil, err
		}
		if prog, err = m.newProgram(s); err != nil {
			return nil, err
		}
	}
	shapes := make([][]int64, len(m.g.Inputs))
	for i, v := range m.g.Inputs {
		shapes[i] = inputs[v.Name].Shape
	}
	dims, err := prog.s.DimsOf(shapes)
	if err != nil {
		return nil, err
	}
	return prog.bind(dims)
}

// Run checks the inputs, picks the plan for their shapes and runs it; a graph the schedule
// cannot express runs on the reference interpreter.
func (m *Model) Run(inputs map[string]*ir.Tensor) ([]*ir.Tensor, error) {
	ds := make(map[string]ir.Datum, len(inputs))
	for k, v := range inputs {
		ds[k] = v
	}
	if err := ref.CheckInputs(m.g, ds); err != nil {
		return nil, err
	}
	p, err := m.PlanFor(inputs)
	if errors.Is(err, lower.ErrUnresolved) || errors.Is(err, lower.ErrUnsupported) {
		outs, err := ref.Run(m.g, ds, ref.Options{MaxMemory: m.opts.MaxMemory})
		if err != nil {
			return nil, err
		}
		res := make([]*ir.Tensor, len(outs))
		for i, d := range outs {
			t, ok := d.(*ir.Tensor)
			if !ok {
				return nil, fmt.Errorf("output %d is not a tensor", i)
			}
			res[i] = t
		}
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	return p.Run(inputs)
}

// Plan is a schedule bound to one set of input shapes.
type Plan struct {
	prog   *program
	dims   []int64
	lay    *lower.Layout
	ints   []int     // the program's Exprs evaluated for dims
	shapes [][]int64 // concrete shape of every value (by ID) a reference step reads or writes
	bind   []byte    // the bind steps' results
	arenas freelist.List[[]byte]
}

// Stats describes a plan's memory and kernels.
type Stats struct {
	ArenaBytes        int64 // bytes of the shared arena
	IntermediateBytes int64 // sum of every intermediate's size
	BindBytes         int64 // bytes of the values computed once for these shapes
	Steps             int
	Kernels           map[string]int // steps per kernel kind
	FLOPs             int64          // per run, from the op table's cost hooks
}

// Stats reports the plan's memory plan and kernel choices.
func (p *Plan) Stats() Stats {
	s := p.prog.s
	st := Stats{ArenaBytes: p.lay.ArenaBytes, IntermediateBytes: p.lay.IntermediateBytes(), BindBytes: p.lay.BindSize,
		Steps: len(s.Steps), Kernels: s.Kinds(), FLOPs: s.FLOPs(p.dims)}
	return st
}

// Schedule returns the schedule the plan runs.
func (p *Plan) Schedule() *lower.Schedule { return p.prog.s }

// StepKinds lists the kernel kind of each step Run runs (the bind steps excluded), for profiles.
func (p *Plan) StepKinds() []string {
	var out []string
	for _, st := range p.prog.s.RunSteps() {
		out = append(out, st.Kernel.Kind())
	}
	return out
}

// Run executes the plan. Outputs are fresh tensors (the arena is reused by later runs).
func (p *Plan) Run(inputs map[string]*ir.Tensor) ([]*ir.Tensor, error) {
	return p.RunProfiled(inputs, nil)
}

// RunProfiled is Run calling tick (when not nil) after each step, with the step's index among
// StepKinds, for per-kernel timing.
func (p *Plan) RunProfiled(inputs map[string]*ir.Tensor, tick func(step int)) ([]*ir.Tensor, error) {
	s := p.prog.s
	r := &run{p: p, inputs: make([]*ir.Tensor, len(s.Inputs))}
	for i, v := range s.Graph.Inputs {
		t := inputs[v.Name]
		if t == nil {
			return nil, fmt.Errorf("missing input %q", v.Name)
		}
		r.inputs[i] = t.Aligned()
	}
	ar := p.arenas.Get()
	if ar == nil || int64(len(*ar)) < p.lay.ArenaBytes {
		a := rt.AlignedBytes(int(p.lay.ArenaBytes))
		ar = &a
	}
	r.arena = *ar
	defer p.arenas.Put(ar)
	steps := s.RunSteps()
	first := len(s.Steps) - len(steps)
	for i, st := range steps {
		if err := p.prog.steps[first+i](r); err != nil {
			return nil, fmt.Errorf("%s: %w", st.Describe(), err)
		}
		if tick != nil {
			tick(i)
		}
	}
	outs := make([]*ir.Tensor, len(s.Outputs))
	for i, v := range s.Outputs {
		shape, err := s.Shape(v, p.dims)
		if err != nil {
			return nil, err
		}
		raw := r.bytes(v)
		t := &ir.Tensor{DType: v.DType, Shape: shape, Raw: append([]byte(nil), raw...)}
		outs[i] = t
	}
	return outs, nil
}
