package lower

import (
	"fmt"

	"github.com/llmc/llmc/codegen/rt"
	"github.com/llmc/llmc/ir"
)

// DimsOf binds the schedule's dims from the shapes of a run's inputs (one per graph input, in
// order): each symbol takes the size it has where it first appears, and every other appearance
// and every concrete dim must agree.
func (s *Schedule) DimsOf(shapes [][]int64) ([]int64, error) {
	if len(shapes) != len(s.Inputs) {
		return nil, fmt.Errorf("%d inputs, the model has %d", len(shapes), len(s.Inputs))
	}
	vals := map[string]int64{}
	for i, v := range s.Inputs {
		sh := shapes[i]
		if len(sh) != len(v.Shape) {
			return nil, fmt.Errorf("input %q has rank %d, want %d", v.Name, len(sh), len(v.Shape))
		}
		for j, d := range v.Shape {
			if c, ok := d.Value(); ok {
				if sh[j] != c {
					return nil, fmt.Errorf("input %q: dim %d is %d, want %d", v.Name, j, sh[j], c)
				}
				continue
			}
			sym := d.Syms()[0]
			if got, seen := vals[sym]; seen && got != sh[j] {
				return nil, fmt.Errorf("input %q: dim %d (%s) is %d, but %s = %d from an earlier input", v.Name, j, sym, sh[j], sym, got)
			}
			vals[sym] = sh[j]
		}
	}
	out := make([]int64, len(s.Dims))
	for i, d := range s.Dims {
		out[i] = vals[d]
	}
	return out, nil
}

// Layout is a schedule bound to the dims of a run: every slot's size and arena offset.
type Layout struct {
	Dims       []int64 // in Schedule.Dims order
	SlotBytes  []int64
	Offsets    []int64 // arena offset of each slot (codegen/rt.Allocate)
	ArenaBytes int64
	BindBytes  []int64
	BindOffset []int64 // offset of each bind slot in the layout's bind storage
	BindSize   int64
}

// Eval evaluates e for the bound dims.
func (s *Schedule) Eval(e Expr, dims []int64) (int64, error) {
	return e.Eval(func(sym string) (int64, bool) {
		for i, d := range s.Dims {
			if d == sym {
				return dims[i], true
			}
		}
		return 0, false
	})
}

// Bind sizes and places every buffer for the given dims (DimsOf), refusing arenas past
// maxBytes (0: no limit) before anything is allocated.
func (s *Schedule) Bind(dims []int64, maxBytes int64) (*Layout, error) {
	if len(dims) != len(s.Dims) {
		return nil, fmt.Errorf("%d dims, the schedule has %d", len(dims), len(s.Dims))
	}
	for i, d := range dims {
		if d < 0 {
			return nil, fmt.Errorf("dim %s = %d is negative", s.Dims[i], d)
		}
	}
	for _, c := range s.Checks {
		v, err := s.Eval(c.Expr, dims)
		if err != nil {
			return nil, err
		}
		if v < c.Min {
			return nil, fmt.Errorf("%s = %d: %s", c.Expr, v, c.Why)
		}
	}
	lay := &Layout{Dims: dims}
	size := func(sl *Slot) (int64, error) {
		b, err := s.Eval(sl.Bytes, dims)
		if err != nil {
			return 0, fmt.Errorf("value %q: %w", sl.Value.Name, err)
		}
		if b < 0 || (maxBytes > 0 && b > maxBytes) {
			return 0, fmt.Errorf("%w: value %q needs %d bytes, the cap is %d", ErrMemoryLimit, sl.Value.Name, b, maxBytes)
		}
		return b, nil
	}
	sizes := make([]int, len(s.Slots))
	first, last := make([]int, len(s.Slots)), make([]int, len(s.Slots))
	for i, sl := range s.Slots {
		b, err := size(sl)
		if err != nil {
			return nil, err
		}
		lay.SlotBytes = append(lay.SlotBytes, b)
		sizes[i], first[i], last[i] = int(b), sl.First, sl.Last
	}
	off, total := rt.Allocate(sizes, first, last)
	for _, o := range off {
		lay.Offsets = append(lay.Offsets, int64(o))
	}
	lay.ArenaBytes = int64(total)
	if maxBytes > 0 && lay.ArenaBytes > maxBytes {
		return nil, fmt.Errorf("%w: the plan needs a %d-byte arena, the cap is %d", ErrMemoryLimit, lay.ArenaBytes, maxBytes)
	}
	for _, sl := range s.BindSlots {
		b, err := size(sl)
		if err != nil {
			return nil, err
		}
		lay.BindBytes = append(lay.BindBytes, b)
		lay.BindOffset = append(lay.BindOffset, lay.BindSize)
		lay.BindSize += (b + 63) &^ 63
	}
	return lay, nil
}

// IntermediateBytes is the sum of every arena slot's size: what the arena would take without
// reuse.
func (lay *Layout) IntermediateBytes() int64 {
	var t int64
	for _, b := range lay.SlotBytes {
		t += b
	}
	return t
}

// Shape evaluates a value's shape for the bound dims.
func (s *Schedule) Shape(v *Value, dims []int64) ([]int64, error) {
	out := make([]int64, len(v.Shape))
	for i, d := range v.Shape {
		x, err := s.Eval(d, dims)
		if err != nil {
			return nil, err
		}
		out[i] = x
	}
	return out, nil
}

// FLOPs is the work of one run at the bound dims, from the op table's cost hooks of the nodes
// each step computes.
func (s *Schedule) FLOPs(dims []int64) int64 {
	var total int64
	for _, st := range s.Steps {
		total += s.StepFLOPs(st, dims)
	}
	return total
}

// StepFLOPs is one step's work at the bound dims (the sum over the nodes it computes).
func (s *Schedule) StepFLOPs(st *Step, dims []int64) int64 {
	var total int64
	for _, n := range st.Nodes {
		sc := n.Schema()
		if sc == nil || sc.Cost == nil {
			continue
		}
		in := make([]ir.Type, len(n.Inputs))
		out := make([]ir.Type, len(n.Outputs))
		conc := func(v *ir.Value) ir.Type {
			if v == nil {
				return ir.Type{}
			}
			t := s.typ(v)
			if t.Kind != ir.KindTensor || !t.Ranked {
				return t
			}
			shape := make(ir.Shape, len(t.Shape))
			for i, d := range t.Shape {
				e, ok := DimExpr(d)
				if !ok {
					return ir.Type{}
				}
				x, err := s.Eval(e, dims)
				if err != nil {
					return ir.Type{}
				}
				shape[i] = ir.D(x)
			}
			return ir.TensorType(t.DType, shape)
		}
		for i, v := range n.Inputs {
			in[i] = conc(v)
		}
		for i, v := range n.Outputs {
			out[i] = conc(v)
		}
		total += sc.Cost(n, in, out).FLOPs
	}
	return total
}
