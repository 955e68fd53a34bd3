package ir

import "fmt"

// Helpers shared by inference hooks.

// BroadcastShapes applies numpy multidirectional broadcasting to two shapes. Symbolic dims
// broadcast against 1 and against equal symbols; a symbol against a concrete size > 1 resolves to
// that size; anything else uncertain becomes unknown.
func BroadcastShapes(a, b Shape) (Shape, error) {
	r := max(len(a), len(b))
	out := make(Shape, r)
	for i := 0; i < r; i++ {
		da, db := D(1), D(1)
		if j := len(a) - r + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - r + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da.IsConcrete() && db.IsConcrete():
			switch {
			case da.Value == db.Value || db.Value == 1:
				out[i] = da
			case da.Value == 1:
				out[i] = db
			default:
				return nil, fmt.Errorf("shapes %v and %v do not broadcast (dim %d: %d vs %d)", a, b, i, da.Value, db.Value)
			}
		case da.IsConcrete() && da.Value == 1:
			out[i] = db
		case db.IsConcrete() && db.Value == 1:
			out[i] = da
		case da.IsConcrete():
			out[i] = da
		case db.IsConcrete():
			out[i] = db
		case da == db:
			out[i] = da
		default:
			out[i] = UnknownDim()
		}
	}
	return out, nil
}

// BroadcastTypes broadcasts tensor types (all must be ranked for a ranked result); the element
// type is the first input's.
func BroadcastTypes(ts ...Type) (Type, error) {
	out := Type{Kind: KindTensor}
	ranked := true
	var shape Shape
	for i, t := range ts {
		if t.Kind == KindUnknown {
			ranked = false
			continue
		}
		if out.DType == Undefined {
			out.DType = t.DType
		}
		if !t.Ranked {
			ranked = false
			continue
		}
		if i == 0 || shape == nil {
			shape = t.Shape.Clone()
			if shape == nil {
				shape = Shape{}
			}
			continue
		}
		s, err := BroadcastShapes(shape, t.Shape)
		if err != nil {
			return Type{}, err
		}
		shape = s
	}
	if ranked {
		out.Ranked = true
		out.Shape = shape
		if out.Shape == nil {
			out.Shape = Shape{}
		}
	}
	return out, nil
}

// NormalizeAxis maps a possibly negative axis into [0, rank).
func NormalizeAxis(axis int64, rank int) (int, error) {
	if axis < -int64(rank) || axis >= int64(rank) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += int64(rank)
	}
	return int(axis), nil
}

// Unknowns returns n types about which nothing is known.
func Unknowns(n int) []Type { return make([]Type, n) }

// InferSameAsInput is an inference hook: every output has input 0's type.
func InferSameAsInput(c *InferContext) ([]Type, error) {
	out := make([]Type, len(c.Node.Outputs))
	for i := range out {
		out[i] = c.In[0].Clone()
	}
	return out, nil
}

// InferBroadcast is an inference hook for elementwise ops whose output has the inputs' common
// type broadcast over all (non-absent) inputs.
func InferBroadcast(c *InferContext) ([]Type, error) {
	var ts []Type
	for i, t := range c.In {
		if c.Node.Inputs[i] != nil {
			ts = append(ts, t)
		}
	}
	t, err := BroadcastTypes(ts...)
	if err != nil {
		return nil, err
	}
	return []Type{t}, nil
}

// InferBroadcastBool is InferBroadcast with a bool result (comparisons, logic).
func InferBroadcastBool(c *InferContext) ([]Type, error) {
	ts, err := InferBroadcast(c)
	if err != nil {
		return nil, err
	}
	ts[0].DType = Bool
	return ts, nil
}

// ConstInt64s returns the data of constant input i as int64s, ok=false if not constant.
func (c *InferContext) ConstInt64s(i int) ([]int64, bool) {
	if i >= len(c.Consts) || c.Consts[i] == nil || !c.Consts[i].DType.IsInt() {
		return nil, false
	}
	return c.Consts[i].AsInt64s(), true
}

// HasInput reports whether optional input i is present.
func (c *InferContext) HasInput(i int) bool { return i < len(c.Node.Inputs) && c.Node.Inputs[i] != nil }

// RankedIn returns input i's shape when ranked.
func (c *InferContext) RankedIn(i int) (Shape, bool) {
	if i >= len(c.In) || !c.In[i].Ranked || c.In[i].Kind != KindTensor {
		return nil, false
	}
	return c.In[i].Shape, true
}
