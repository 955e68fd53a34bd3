// Package plan turns an optimized IR graph into an execution plan for the CPU kernels of
// backend/cpu: a kernel chosen per node (fused ops → fused kernels, MatMul → pre-packed SGEMM
// with bias/GELU epilogues), weights packed once, and every intermediate placed in one arena by
// a liveness-based allocator that reuses buffers and runs elementwise ops in place. Plans are
// built per input shape and cached, so a model with dynamic batch and sequence dims is planned
// once per shape it sees. Ops without a CPU kernel run through the reference interpreter's
// evaluation hook on arena views, so every graph the interpreter runs also runs here.
package plan

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"unsafe"

	"github.com/llmc/llmc/backend/cpu"
	"github.com/llmc/llmc/backend/ref"
	"github.com/llmc/llmc/internal/freelist"
	"github.com/llmc/llmc/ir"
)

// Options configure a Model.
type Options struct {
	// Threads is the number of kernel threads (0: GOMAXPROCS).
	Threads int
	// MaxPlans bounds the per-shape plan cache (default 16).
	MaxPlans int
	// NoFusedEpilogues disables GEMM epilogue fusion (for comparisons).
	NoFusedEpilogues bool
	// MaxMemory caps a plan's arena in bytes; a larger plan fails with ref.ErrMemoryLimit before
	// anything is allocated (default ref.DefaultMaxMemory).
	MaxMemory int64
	// Precision of the GEMMs with constant weights: PrecisionINT8x6
	// (default), PrecisionBF16x6, PrecisionBF16x3 (AMX tiles; where the CPU
	// has no AMX they fall back to FP32, see Model.Precision) or
	// PrecisionFP32. The AMX forms are kept beside the float32 panels
	// (INT8x6: 0.75 times their size, BF16x6: 1.5 times, BF16x3: the same
	// size again), which GEMMs of fewer than 64 rows still use.
	Precision string
}

// Precisions of Options.Precision.
const (
	// PrecisionFP32: float32 FMA kernels (AVX-512, AVX2, NEON or Go).
	PrecisionFP32 = "fp32"
	// PrecisionBF16x6: AMX tiles, each float32 split into three bfloat16
	// (all its 24 bits), six products: float32-class accuracy (within 2x of
	// the float32 kernels' rms error against float64), up to 2.4 times the
	// float32 FMA peak.
	PrecisionBF16x6 = "bf16x6"
	// PrecisionBF16x3: AMX tiles, two bfloat16 per float32 (16 bits), three
	// products: ~1e-5 relative error, up to 5 times the float32 FMA peak.
	PrecisionBF16x3 = "bf16x3"
	// PrecisionINT8x6: AMX-INT8 tiles, each row of A and column of B scaled to
	// a largest magnitude of 127 and each float32 split into three int8 slices
	// (24 bits of the row's or column's largest value), six exact integer
	// products: float32-class accuracy (within 2x of the float32 kernels' rms
	// error against float64, on bert-base 1.1x), half the tile work and half
	// the weight bytes of BF16x6.
	PrecisionINT8x6 = "int8x6"
)

// amxPrecision maps a precision to its AMX form (false for FP32).
func amxPrecision(p string) (cpu.AMXPrecision, bool) {
	switch p {
	case PrecisionBF16x6:
		return cpu.BF16x6, true
	case PrecisionBF16x3:
		return cpu.BF16x3, true
	case PrecisionINT8x6:
		return cpu.INT8x6, true
	}
	return 0, false
}

// Model runs one graph on the CPU. It is safe for concurrent use.
type Model struct {
	g      *ir.Graph
	opts   Options
	pool   *cpu.Pool
	mu     sync.Mutex
	plans  map[string]*Plan
	order  []string
	packed map[*ir.Value]*cpu.PackedB // weights packed once, shared by all plans
	packMu sync.Mutex
}

// New prepares g (normally optimized with passes.Optimize at -O2) for CPU execution.
func New(g *ir.Graph, opts Options) (*Model, error) {
	if opts.MaxPlans <= 0 {
		opts.MaxPlans = 16
	}
	if opts.MaxMemory <= 0 {
		opts.MaxMemory = ref.DefaultMaxMemory
	}
	switch opts.Precision {
	case "":
		opts.Precision = PrecisionINT8x6
	case PrecisionFP32, PrecisionBF16x6, PrecisionBF16x3, PrecisionINT8x6:
	default:
		return nil, fmt.Errorf("plan: unknown precision %q (want %s, %s, %s or %s)", opts.Precision, PrecisionFP32, PrecisionBF16x6, PrecisionINT8x6, PrecisionBF16x3)
	}
	var pool *cpu.Pool
	if opts.Threads > 1 {
		pool = cpu.NewPool(opts.Threads)
	} else if opts.Threads == 0 {
		pool = cpu.DefaultPool()
	}
	return &Model{g: g, opts: opts, pool: pool, plans: map[string]*Plan{}, packed: map[*ir.Value]*cpu.PackedB{}}, nil
}

// Graph returns the graph the model runs.
func (m *Model) Graph() *ir.Graph { return m.g }

// Precision reports the GEMM precision in effect: an AMX precision only
// when it was asked for and the CPU has AMX-BF16.
func (m *Model) Precision() string {
	if p, ok := amxPrecision(m.opts.Precision); ok && cpu.AMXSupports(p) {
		return m.opts.Precision
	}
	return PrecisionFP32
}

// Threads reports the kernel threads in use.
func (m *Model) Threads() int { return m.pool.Threads() }

func shapeKey(g *ir.Graph, inputs map[string]*ir.Tensor) string {
	var b strings.Builder
	for _, v := range g.Inputs {
		fmt.Fprintf(&b, "%v;", inputs[v.Name].Shape)
	}
	return b.String()
}

// PlanFor returns the (cached) plan for the shapes of inputs.
func (m *Model) PlanFor(inputs map[string]*ir.Tensor) (*Plan, error) {
	key := shapeKey(m.g, inputs)
	m.mu.Lock()
	p := m.plans[key]
	m.mu.Unlock()
	if p != nil {
		return p, nil
	}
	p, err := build(m, inputs)
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

// Run checks the inputs, picks the plan for their shapes and runs it.
func (m *Model) Run(inputs map[string]*ir.Tensor) ([]*ir.Tensor, error) {
	ds := make(map[string]ir.Datum, len(inputs))
	for k, v := range inputs {
		ds[k] = v
	}
	if err := checkInputs(m.g, ds); err != nil {
		return nil, err
	}
	p, err := m.PlanFor(inputs)
	if errors.Is(err, ErrDataDependent) {
		// shapes that depend on values: interpret (with the same memory cap)
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

// buffer is one intermediate tensor's place in the arena.
type buffer struct {
	v        *ir.Value
	bytes    int64
	first    int // step that writes it
	last     int // last step that reads it
	offset   int64
	aliasOf  *buffer // shares the storage of another buffer (views, in-place ops)
	isOutput bool
}

// Plan is the execution plan for one set of input shapes.
type Plan struct {
	model     *Model
	types     map[*ir.Value]ir.Type
	steps     []step
	bufs      map[*ir.Value]*buffer
	arenaSize int64
	totalSize int64                    // sum of all intermediate sizes (what a naive allocator would use)
	arenas    freelist.List[[]byte]    // not emptied by the GC (see package freelist)
	known     map[*ir.Value]*ir.Tensor // values computed at plan time
}

// step is one kernel invocation.
type step struct {
	node  *ir.Node
	kind  string // kernel name, for profiles
	flops int64
	run   func(e *env) error
}

// env is one execution's state: the arena and the inputs.
type env struct {
	arena  []byte
	inputs map[*ir.Value]*ir.Tensor
	plan   *Plan
}

// Stats describes a plan's memory.
type Stats struct {
	ArenaBytes        int64 // bytes of the shared arena
	IntermediateBytes int64 // sum of every intermediate's size
	Steps             int
	Kernels           map[string]int // steps per kernel kind
	FLOPs             int64          // per run, from the op table's cost hooks
}

// Stats reports the plan's memory plan and kernel choices.
func (p *Plan) Stats() Stats {
	s := Stats{ArenaBytes: p.arenaSize, IntermediateBytes: p.totalSize, Steps: len(p.steps), Kernels: map[string]int{}}
	for _, st := range p.steps {
		s.Kernels[st.kind]++
		s.FLOPs += st.flops
	}
	return s
}

// Steps lists (kernel kind, node) per step, for profiling output.
func (p *Plan) StepKinds() []string {
	out := make([]string, len(p.steps))
	for i, s := range p.steps {
		out[i] = s.kind
	}
	return out
}

func alignUp(x, a int64) int64 { return (x + a - 1) / a * a }

// view returns the storage of v in this execution: an input tensor's data, a constant's data,
// or the arena slice of an intermediate.
func (e *env) raw(v *ir.Value) []byte {
	if t := e.inputs[v]; t != nil {
		return t.Raw
	}
	if t := e.plan.known[v]; t != nil {
		return t.Raw
	}
	b := e.plan.bufs[v]
	for b.aliasOf != nil {
		b = b.aliasOf
	}
	return e.arena[b.offset : b.offset+e.plan.bufs[v].bytes]
}

func f32(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

func (e *env) f32(v *ir.Value) []float32 { return f32(e.raw(v)) }

// i32 views v's storage as int32s (for writing: arena buffers are 64-byte aligned).
func (e *env) i32(v *ir.Value) []int32 {
	b := e.raw(v)
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*int32)(unsafe.Pointer(&b[0])), len(b)/4)
}

// tensor returns v as an ir.Tensor viewing its storage.
func (e *env) tensor(v *ir.Value) *ir.Tensor {
	if t := e.inputs[v]; t != nil {
		return t
	}
	if t := e.plan.known[v]; t != nil {
		return t
	}
	dims, _ := e.plan.types[v].Shape.Ints()
	return &ir.Tensor{DType: e.plan.types[v].DType, Shape: dims, Raw: e.raw(v)}
}

// Run executes the plan. Outputs are fresh tensors (the arena is reused by later runs).
func (p *Plan) Run(inputs map[string]*ir.Tensor) ([]*ir.Tensor, error) {
	return p.RunProfiled(inputs, nil)
}

// RunProfiled is Run calling tick (when not nil) after each step, for per-kernel timing.
func (p *Plan) RunProfiled(inputs map[string]*ir.Tensor, tick func(step int)) ([]*ir.Tensor, error) {
	g := p.model.g
	e := &env{inputs: map[*ir.Value]*ir.Tensor{}, plan: p}
	for _, v := range g.Inputs {
		e.inputs[v] = inputs[v.Name].Aligned()
	}
	ar := p.arenas.Get()
	if ar == nil || int64(len(*ar)) < p.arenaSize {
		a := alignedArena(p.arenaSize)
		ar = &a
	}
	e.arena = *ar
	defer p.arenas.Put(ar)
	for i := range p.steps {
		if err := p.steps[i].run(e); err != nil {
			return nil, fmt.Errorf("%s: %w", p.steps[i].node.Describe(), err)
		}
		if tick != nil {
			tick(i)
		}
	}
	outs := make([]*ir.Tensor, len(g.Outputs))
	for i, v := range g.Outputs {
		outs[i] = e.tensor(v).Clone()
	}
	return outs, nil
}

func alignedArena(n int64) []byte {
	if n == 0 {
		return []byte{}
	}
	words := make([]uint64, (n+7)/8)
	return unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), n)
}

// allocate assigns arena offsets: buffers whose lifetimes overlap never share bytes; the rest
// reuse space (greedy by size, first fit among the placed buffers' gaps).
func (p *Plan) allocate() {
	var list []*buffer
	for _, b := range p.bufs {
		if b.aliasOf == nil {
			list = append(list, b)
		}
	}
	// a buffer aliased by others lives as long as the longest of them
	for _, b := range p.bufs {
		if b.aliasOf != nil {
			root := b
			for root.aliasOf != nil {
				root = root.aliasOf
			}
			root.first = min(root.first, b.first)
			root.last = max(root.last, b.last)
			if b.isOutput {
				root.last = len(p.steps)
			}
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].bytes != list[j].bytes {
			return list[i].bytes > list[j].bytes
		}
		return list[i].first < list[j].first
	})
	var placed []*buffer
	for _, b := range list {
		p.totalSize += b.bytes
		size := alignUp(b.bytes, 64)
		var busy [][2]int64
		for _, o := range placed {
			if o.first <= b.last && b.first <= o.last {
				busy = append(busy, [2]int64{o.offset, o.offset + alignUp(o.bytes, 64)})
			}
		}
		sort.Slice(busy, func(i, j int) bool { return busy[i][0] < busy[j][0] })
		off := int64(0)
		for _, r := range busy {
			if off+size <= r[0] {
				break
			}
			off = max(off, r[1])
		}
		b.offset = off
		p.arenaSize = max(p.arenaSize, off+size)
		placed = append(placed, b)
	}
}
