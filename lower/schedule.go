// Package lower turns an optimized IR graph into a schedule: the ordered kernel calls that run
// it, each with its operand and result buffers (element type and shape symbolic in the model's
// dims), static parameters, fused epilogue, GEMM precision and cost, plus the buffers' lifetimes
// in one arena. The graph is lowered once, here; backends only render the schedule:
// backend/cpu/plan executes it (llmc run, llmc bench), codegen prints it as a Go package
// (llmc compile), and a CUDA backend renders the same steps.
//
// Shapes stay symbolic: a schedule for a model with dynamic batch and sequence axes is made
// once, and Bind evaluates its sizes for the dims of a run (arena offsets are then placed by
// codegen/rt's Allocate, the one arena allocator). Values that depend only on the input shapes
// (PyTorch's Shape → Gather → Concat chains, Range position ids, ...) are computed by bind
// steps, once per bound shape, not on every run. An op without a fast kernel becomes a Ref
// step that calls the reference implementation (backend/ref), in the plan and in compiled
// packages alike, so whatever the interpreter runs also lowers.
package lower

import (
	"fmt"
	"strings"

	"github.com/llmc/llmc/backend/cpu"
	"github.com/llmc/llmc/ir"
)

// Storage says where a value's bytes live at run time.
type Storage uint8

const (
	// StorageInput: a graph input, in the caller's memory.
	StorageInput Storage = iota
	// StorageConst: constant data (an initializer, or a constant the lowering derived).
	StorageConst
	// StorageArena: an intermediate (or a step's scratch) in the run's arena, at the offset of
	// its slot.
	StorageArena
	// StorageView: the bytes of Base, under another shape (Reshape and friends).
	StorageView
	// StorageBind: computed by a bind step once per bound shape and kept with the layout.
	StorageBind
)

func (s Storage) String() string {
	return [...]string{"input", "const", "arena", "view", "bind"}[s]
}

// Value is a tensor the schedule reads or writes.
type Value struct {
	ID      int
	Name    string
	IR      *ir.Value // the graph value (nil for scratch and derived constants)
	DType   ir.DType
	Shape   []Expr
	Storage Storage
	Const   *ir.Tensor // StorageConst: the data
	Base    *Value     // StorageView: the value whose bytes this one is
	Input   int        // StorageInput: index in Graph.Inputs
	Slot    int        // StorageArena: index in Schedule.Slots; StorageBind: in Schedule.BindSlots
}

// Root follows views to the value that owns the bytes.
func (v *Value) Root() *Value {
	for v.Storage == StorageView {
		v = v.Base
	}
	return v
}

// Numel is the element count.
func (v *Value) Numel() Expr { return Product(v.Shape...) }

// Bytes is the byte size.
func (v *Value) Bytes() Expr { return v.Numel().Scale(int64(v.DType.Size())) }

func (v *Value) String() string {
	dims := make([]string, len(v.Shape))
	for i, d := range v.Shape {
		dims[i] = d.String()
	}
	return fmt.Sprintf("%%%s: %s[%s] (%s)", v.Name, v.DType, strings.Join(dims, ","), v.Storage)
}

// Slot is one buffer of the arena (StorageArena) or of a layout's bind storage (StorageBind).
type Slot struct {
	Bytes       Expr
	First, Last int    // the steps that write it first and read it last (inclusive)
	Value       *Value // the value it holds (the first one, for names)
}

// Weight is a constant right-hand GEMM operand, op(B) of K x N, packed once by the backend
// (cpu.PackB, and an AMX form at the AMX precisions).
type Weight struct {
	ID     int
	Value  *Value // the constant as stored: [K, N], or [N, K] when TransB
	TransB bool
	K, N   int
}

// Step is one kernel call.
type Step struct {
	Index  int
	Kernel Kernel
	Nodes  []*ir.Node // the graph nodes it computes: the first, then fused consumers
	Reads  []*Value   // operands (for lifetimes)
	Writes []*Value   // results (for lifetimes)
	// Bind: the step depends only on constants and the input shapes and runs once per bound
	// shape (its results have StorageBind).
	Bind bool
}

// Name is the first node's name (for messages and profiles).
func (s *Step) Name() string {
	if len(s.Nodes) == 0 {
		return fmt.Sprintf("step %d", s.Index)
	}
	return s.Nodes[0].Name
}

// Describe names the step's node for error messages.
func (s *Step) Describe() string {
	if len(s.Nodes) == 0 {
		return fmt.Sprintf("step %d", s.Index)
	}
	return s.Nodes[0].Describe()
}

// Schedule is a lowered graph.
type Schedule struct {
	Graph *ir.Graph
	// Dims are the symbols of the graph inputs' shapes, in order of first appearance: the dims a
	// run binds.
	Dims      []string
	Values    []*Value
	Inputs    []*Value // one per graph input
	Outputs   []*Value // one per graph output
	Steps     []*Step  // bind steps first, then the run's steps in order
	Slots     []*Slot  // arena buffers
	BindSlots []*Slot  // per-layout storage of bind values
	Weights   []*Weight
	// Precision of the GEMMs with constant weights.
	Precision cpu.Precision
	// Checks are conditions on the bound dims that the lowering relied on, checked at bind.
	Checks []Check

	types map[*ir.Value]ir.Type // Options.Types
}

// typ is v's type as the schedule was lowered with it.
func (s *Schedule) typ(v *ir.Value) ir.Type {
	if t, ok := s.types[v]; ok {
		return t
	}
	return v.Type
}

// Check is a condition on the bound dims: Expr >= Min.
type Check struct {
	Expr Expr
	Min  int64
	Why  string
}

// RunSteps returns the steps that run on every run (after the bind steps).
func (s *Schedule) RunSteps() []*Step {
	for i, st := range s.Steps {
		if !st.Bind {
			return s.Steps[i:]
		}
	}
	return nil
}

// BindSteps returns the steps that run once per bound shape.
func (s *Schedule) BindSteps() []*Step {
	for i, st := range s.Steps {
		if !st.Bind {
			return s.Steps[:i]
		}
	}
	return s.Steps
}

// Kinds counts the steps per kernel kind.
func (s *Schedule) Kinds() map[string]int {
	m := map[string]int{}
	for _, st := range s.Steps {
		m[st.Kernel.Kind()]++
	}
	return m
}

// RefSteps lists the steps that run on the reference implementation.
func (s *Schedule) RefSteps() []*Step {
	var out []*Step
	for _, st := range s.Steps {
		if _, ok := st.Kernel.(*Ref); ok {
			out = append(out, st)
		}
	}
	return out
}

// String renders the schedule, one step a line, for `llmc compile -v` and tests.
func (s *Schedule) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "schedule: dims %v, %d steps, %d arena slots, %d weights, precision %s\n", s.Dims, len(s.Steps), len(s.Slots), len(s.Weights), s.Precision)
	for _, st := range s.Steps {
		phase := "run "
		if st.Bind {
			phase = "bind"
		}
		var ins, outs []string
		for _, v := range st.Reads {
			ins = append(ins, "%"+v.Name)
		}
		for _, v := range st.Writes {
			outs = append(outs, "%"+v.Name)
		}
		fmt.Fprintf(&b, "  %3d %s %-22s %s <- %s  @%s\n", st.Index, phase, st.Kernel.Kind(), strings.Join(outs, ", "), strings.Join(ins, ", "), st.Name())
	}
	return b.String()
}
