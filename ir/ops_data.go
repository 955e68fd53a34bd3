package ir

import (
	"fmt"
	"math"
)

// Data-movement and data-producing ops: Gather, GatherElements, GatherND, Scatter,
// ScatterElements, ScatterND, Range, ConstantOfShape, Constant, NonZero, Compress, OneHot, Trilu,
// EyeLike, Unique, TopK, ReverseSequence.

func init() {
	RegisterOp(&OpSchema{Name: "Gather", Since: 1, Category: "shape",
		Doc:   "y = x indexed along axis by indices (negative indices count from the end): out shape x[:axis] + indices + x[axis+1:]",
		MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("axis", 0)},
		Infer: inferGather})
	RegisterOp(&OpSchema{Name: "GatherElements", Since: 11, Category: "shape",
		Doc:   "y[i...] = x[i...] with the axis coordinate replaced by indices[i...]",
		MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("axis", 0)},
		Infer: inferGatherElements})
	RegisterOp(&OpSchema{Name: "GatherND", Since: 11, Category: "shape",
		Doc:   "y = slices of x addressed by the last axis of indices (tuples of leading coordinates), after batch_dims shared batch axes",
		MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("batch_dims", 0)},
		Infer: inferGatherND})
	RegisterOp(&OpSchema{Name: "Scatter", Since: 9, Until: 10, Category: "shape",
		Doc:   "y = x with y[...indices[i]... along axis] = updates[i] (deprecated alias of ScatterElements)",
		MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("axis", 0)},
		Infer: inferScatter})
	RegisterOp(&OpSchema{Name: "ScatterElements", Since: 11, Category: "shape",
		Doc:   "y = x with the element at the axis coordinate indices[i...] replaced by (or reduced with) updates[i...]",
		MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("axis", 0), optString("reduction", "none")},
		Infer: inferScatter})
	RegisterOp(&OpSchema{Name: "ScatterND", Since: 11, Category: "shape",
		Doc:   "y = x with the slices addressed by indices' last axis replaced by (or reduced with) updates",
		MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optString("reduction", "none")},
		Infer: inferScatter})
	RegisterOp(&OpSchema{Name: "Range", Since: 11, Category: "shape",
		Doc:   "y = [start, start+delta, ...] while below limit (above for negative delta), max(ceil((limit-start)/delta), 0) elements",
		MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Infer: inferRange})
	RegisterOp(&OpSchema{Name: "ConstantOfShape", Since: 9, Category: "shape",
		Doc:   "y = a tensor of the given shape filled with value (a one-element tensor; default float32 0)",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{opt("value", AttrTensor)},
		Infer: inferConstantOfShape})
	RegisterOp(&OpSchema{Name: "Constant", Since: 1, Category: "misc",
		Doc:   "y = the constant held in exactly one of value, sparse_value (densified) or value_float(s)/value_int(s)/value_string(s)",
		MinIn: 0, MaxIn: 0, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{
			opt("sparse_value", AttrSparseTensor), opt("value", AttrTensor),
			opt("value_float", AttrFloat), opt("value_floats", AttrFloats),
			opt("value_int", AttrInt), opt("value_ints", AttrInts),
			opt("value_string", AttrString), opt("value_strings", AttrStrings),
		},
		Infer: inferConstant})
	RegisterOp(&OpSchema{Name: "NonZero", Since: 9, Category: "shape",
		Doc:   "y[:, k] = the coordinates of the k-th nonzero element of x in row-major order (int64 [rank, count])",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Infer: inferNonZero})
	RegisterOp(&OpSchema{Name: "Compress", Since: 9, Category: "shape",
		Doc:   "y = the slices of x along axis (of flattened x when no axis) where condition is true",
		MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{opt("axis", AttrInt)},
		Infer: inferCompress})
	RegisterOp(&OpSchema{Name: "OneHot", Since: 9, Category: "shape",
		Doc:   "y = values[1] where the new axis coordinate equals indices (negative indices wrap by depth), else values[0]",
		MinIn: 3, MaxIn: 3, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("axis", -1)},
		Infer: inferOneHot})
	RegisterOp(&OpSchema{Name: "Trilu", Since: 14, Category: "shape",
		Doc:   "y = x with elements below (upper=1) or above (upper=0) the k-th diagonal of the last two axes zeroed",
		MinIn: 1, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("upper", 1)},
		Infer: InferSameAsInput})
	RegisterOp(&OpSchema{Name: "EyeLike", Since: 9, Category: "shape",
		Doc:   "y = a 2-D tensor shaped like x with ones on the k-th diagonal and zeros elsewhere (dtype attr or x's)",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{opt("dtype", AttrInt), optInt("k", 0)},
		Infer: inferEyeLike})
	RegisterOp(&OpSchema{Name: "Unique", Since: 11, Category: "shape",
		Doc:   "y = the unique elements (or slices along axis) of x, sorted or in first-occurrence order, with first indices, inverse indices and counts",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 4,
		Attrs: []AttrSpec{opt("axis", AttrInt), optInt("sorted", 1)},
		Infer: inferUnique})
	RegisterOp(&OpSchema{Name: "TopK", Since: 1, Category: "shape",
		Doc:   "values, indices = the k largest (or smallest) elements of x along axis, sorted, ties broken by lower index",
		MinIn: 1, MaxIn: 2, MinOut: 2, MaxOut: 2,
		Attrs: []AttrSpec{optInt("axis", -1), opt("k", AttrInt), optInt("largest", 1), optInt("sorted", 1)},
		Infer: inferTopK})
	RegisterOp(&OpSchema{Name: "ReverseSequence", Since: 10, Category: "shape",
		Doc:   "y = x with the first sequence_lens[b] elements along time_axis reversed for each batch b",
		MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("batch_axis", 1), optInt("time_axis", 0)},
		Infer: inferReverseSequence})
}

// dataIndexType checks that input i is an int32/int64 index tensor.
func dataIndexType(c *InferContext, i int, what string) error {
	t := c.In[i]
	if t.Kind == KindTensor && t.DType != Undefined && t.DType != Int32 && t.DType != Int64 {
		return fmt.Errorf("%s have element type %s, want i32 or i64", what, t.DType)
	}
	return nil
}

func inferGather(c *InferContext) ([]Type, error) {
	x, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	if err := dataIndexType(c, 1, "indices"); err != nil {
		return nil, err
	}
	idx := c.In[1]
	if !x.Ranked || !idx.Ranked {
		return []Type{UnrankedTensor(x.DType)}, nil
	}
	r := len(x.Shape)
	if r == 0 {
		return nil, fmt.Errorf("data is a scalar, want rank >= 1")
	}
	ax, err := NormalizeAxis(c.Node.AttrInt("axis", 0), r)
	if err != nil {
		return nil, err
	}
	// constant indices must be in range
	if t := shapeConstTensor(c, 1); t != nil && t.DType.IsInt() && x.Shape[ax].IsConcrete() {
		v := t.AsInt64s()
		n := x.Shape[ax].Value
		for _, k := range v {
			if k < -n || k >= n {
				return nil, fmt.Errorf("index %d out of range for axis %d of size %d", k, ax, n)
			}
		}
	}
	s := Shape{}
	s = append(s, x.Shape[:ax]...)
	s = append(s, idx.Shape...)
	s = append(s, x.Shape[ax+1:]...)
	return []Type{TensorType(x.DType, s)}, nil
}

func inferGatherElements(c *InferContext) ([]Type, error) {
	x, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	if err := dataIndexType(c, 1, "indices"); err != nil {
		return nil, err
	}
	idx := c.In[1]
	if x.Ranked && idx.Ranked {
		if len(x.Shape) != len(idx.Shape) {
			return nil, fmt.Errorf("indices have rank %d, data has rank %d (want equal)", len(idx.Shape), len(x.Shape))
		}
		if _, err := NormalizeAxis(c.Node.AttrInt("axis", 0), len(x.Shape)); err != nil {
			return nil, err
		}
	}
	if !idx.Ranked {
		if x.Ranked {
			s := make(Shape, len(x.Shape))
			return []Type{TensorType(x.DType, s)}, shapeUnknownDims(s)
		}
		return []Type{UnrankedTensor(x.DType)}, nil
	}
	return []Type{TensorType(x.DType, idx.Shape.Clone())}, nil
}

func inferGatherND(c *InferContext) ([]Type, error) {
	x, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	if c.In[1].Kind == KindTensor && c.In[1].DType != Undefined && c.In[1].DType != Int64 {
		return nil, fmt.Errorf("indices have element type %s, want i64", c.In[1].DType)
	}
	idx := c.In[1]
	b := c.Node.AttrInt("batch_dims", 0)
	if b < 0 {
		return nil, fmt.Errorf("batch_dims %d is negative", b)
	}
	if !x.Ranked || !idx.Ranked {
		return []Type{UnrankedTensor(x.DType)}, nil
	}
	r, q := int64(len(x.Shape)), int64(len(idx.Shape))
	if q < 1 || r < 1 {
		return nil, fmt.Errorf("data (rank %d) and indices (rank %d) must have rank >= 1", r, q)
	}
	if b >= min(q, r) {
		return nil, fmt.Errorf("batch_dims %d must be less than the ranks of data (%d) and indices (%d)", b, r, q)
	}
	last := idx.Shape[q-1]
	if !last.IsConcrete() {
		return []Type{UnrankedTensor(x.DType)}, nil
	}
	k := last.Value
	if k < 1 || b+k > r {
		return nil, fmt.Errorf("indices address %d dims after %d batch dims of a rank-%d tensor", k, b, r)
	}
	s := Shape{}
	s = append(s, idx.Shape[:q-1]...)
	s = append(s, x.Shape[b+k:]...)
	return []Type{TensorType(x.DType, s)}, nil
}

func inferScatter(c *InferContext) ([]Type, error) {
	x, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	if err := dataIndexType(c, 1, "indices"); err != nil {
		return nil, err
	}
	switch r := c.Node.AttrString("reduction", "none"); r {
	case "none", "add", "mul", "max", "min":
	default:
		return nil, fmt.Errorf("unknown reduction %q (want none, add, mul, max or min)", r)
	}
	if c.Node.Op != "ScatterND" {
		idx, upd := c.In[1], c.In[2]
		if idx.Ranked && upd.Ranked && len(idx.Shape) != len(upd.Shape) {
			return nil, fmt.Errorf("indices (rank %d) and updates (rank %d) must have the same shape", len(idx.Shape), len(upd.Shape))
		}
		if x.Ranked {
			if idx.Ranked && len(idx.Shape) != len(x.Shape) {
				return nil, fmt.Errorf("indices have rank %d, data has rank %d (want equal)", len(idx.Shape), len(x.Shape))
			}
			if _, err := NormalizeAxis(c.Node.AttrInt("axis", 0), len(x.Shape)); err != nil {
				return nil, err
			}
		}
	}
	return []Type{x.Clone()}, nil
}

func inferRange(c *InferContext) ([]Type, error) {
	dt := Undefined
	for i := 0; i < 3; i++ {
		t, err := shapeTensorIn(c, i)
		if err != nil {
			return nil, err
		}
		if t.Ranked && len(t.Shape) != 0 {
			return nil, fmt.Errorf("input %d has shape %s, want a scalar", i, t.Shape)
		}
		if dt == Undefined {
			dt = t.DType
		} else if t.DType != Undefined && t.DType != dt {
			return nil, fmt.Errorf("input %d has element type %s, input 0 has %s", i, t.DType, dt)
		}
	}
	out := TensorType(dt, Shape{UnknownDim()})
	var v [3]float64
	var ts [3]*Tensor
	for i := range v {
		ts[i] = shapeConstTensor(c, i)
		if ts[i] == nil || ts[i].Len() != 1 || ts[i].DType == String || ts[i].DType != ts[0].DType {
			if dt.IsInt() {
				out.Shape[0] = rangeLength(c)
			}
			return []Type{out}, nil
		}
		v[i] = ts[i].Float64At(0)
	}
	if ts[0].DType.IsInt() {
		a, b, d := ts[0].Int64At(0), ts[1].Int64At(0), ts[2].Int64At(0)
		n, err := RangeCountInt(a, b, d)
		if err != nil {
			return nil, err
		}
		out.Shape[0] = D(n)
		return []Type{out}, nil
	}
	n, err := RangeCount(v[0], v[1], v[2])
	if err != nil {
		return nil, err
	}
	out.Shape[0] = D(n)
	return []Type{out}, nil
}

// rangeLength is the length of an integer Range whose bounds are not all constants, from their
// shape values: exact when all three are known, and the limit itself when it is a symbolic dim
// with start 0 and delta 1 (position ids; a dim is never negative, so max(limit-0, 0) = limit).
func rangeLength(c *InferContext) Dim {
	var e [3]ShapeElem
	for i := range e {
		v, ok := shapeValueOf(c, i)
		if !ok || len(v) != 1 {
			return UnknownDim()
		}
		e[i] = v[0]
	}
	switch {
	case e[0].Known && e[1].Known && e[2].Known:
		if n, err := RangeCountInt(e[0].N, e[1].N, e[2].N); err == nil {
			return D(n)
		}
	case e[0].Known && e[0].N == 0 && e[2].Known && e[2].N == 1:
		return e[1].Dim()
	}
	return UnknownDim()
}

// RangeCount is the number of elements of Range(start, limit, delta) in floating point.
func RangeCount(start, limit, delta float64) (int64, error) {
	if delta == 0 {
		return 0, fmt.Errorf("range delta is 0")
	}
	n := math.Ceil((limit - start) / delta)
	if math.IsNaN(n) || n > 1<<40 {
		return 0, fmt.Errorf("range(%g, %g, %g) has too many elements", start, limit, delta)
	}
	return int64(max(n, 0)), nil
}

// RangeCountInt is the number of elements of Range(start, limit, delta) for integers (exact).
func RangeCountInt(start, limit, delta int64) (int64, error) {
	if delta == 0 {
		return 0, fmt.Errorf("range delta is 0")
	}
	diff := limit - start
	if (diff > 0) != (delta > 0) || diff == 0 {
		return 0, nil
	}
	n := diff / delta
	if diff%delta != 0 {
		n++
	}
	return n, nil
}

func inferConstantOfShape(c *InferContext) ([]Type, error) {
	dt := Float32
	if v := c.Node.AttrTensor("value"); v != nil {
		n, err := NumElements(v.Shape)
		if err != nil || n != 1 {
			return nil, fmt.Errorf("value must hold exactly one element, has shape %v", v.Shape)
		}
		dt = v.DType
	}
	if in := c.In[0]; in.Kind == KindTensor && in.DType != Undefined && in.DType != Int64 {
		return nil, fmt.Errorf("shape input has element type %s, want i64", in.DType)
	}
	vals, ok := shapeValueOf(c, 0)
	if !ok {
		return []Type{UnrankedTensor(dt)}, nil
	}
	s := make(Shape, len(vals))
	for i, v := range vals {
		if v.Known && v.N < 0 {
			return nil, fmt.Errorf("shape has negative dim %d", v.N)
		}
		s[i] = v.Dim()
	}
	return []Type{TensorType(dt, s)}, nil
}

// ConstantValue returns the tensor a Constant node produces, densifying sparse_value.
func ConstantValue(n *Node) (*Tensor, error) {
	var found []string
	for _, a := range n.Attrs {
		switch a.Name {
		case "value", "sparse_value", "value_float", "value_floats", "value_int", "value_ints", "value_string", "value_strings":
			found = append(found, a.Name)
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("want exactly one value attribute, got %v", found)
	}
	a := n.Attr(found[0])
	switch a.Name {
	case "value":
		if a.T == nil {
			return nil, fmt.Errorf("value attribute holds no tensor")
		}
		if err := a.T.Validate(); err != nil {
			return nil, fmt.Errorf("value: %v", err)
		}
		return a.T, nil
	case "sparse_value":
		if a.Sparse == nil || a.Sparse.Values == nil || a.Sparse.Indices == nil {
			return nil, fmt.Errorf("sparse_value holds no values or indices")
		}
		return SparseToDense(a.Sparse, 1<<32)
	case "value_float":
		return ScalarFloat32(a.F), nil
	case "value_floats":
		return FromFloat32s([]int64{int64(len(a.Floats))}, a.Floats), nil
	case "value_int":
		return ScalarInt64(a.I), nil
	case "value_ints":
		return FromInt64s([]int64{int64(len(a.Ints))}, a.Ints), nil
	case "value_string":
		return &Tensor{DType: String, Shape: []int64{}, Strings: [][]byte{append([]byte{}, a.S...)}}, nil
	default: // value_strings
		t := &Tensor{DType: String, Shape: []int64{int64(len(a.Strings))}, Strings: make([][]byte, len(a.Strings))}
		for i, s := range a.Strings {
			t.Strings[i] = append([]byte{}, s...)
		}
		return t, nil
	}
}

func inferConstant(c *InferContext) ([]Type, error) {
	n := c.Node
	if a := n.Attr("sparse_value"); a != nil && a.Sparse != nil && a.Sparse.Values != nil {
		if len(n.Attrs) != 1 {
			return nil, fmt.Errorf("want exactly one value attribute")
		}
		return []Type{TensorType(a.Sparse.Values.DType, ConcreteShape(a.Sparse.Dims...))}, nil
	}
	t, err := ConstantValue(n)
	if err != nil {
		return nil, err
	}
	return []Type{t.Type()}, nil
}

func inferNonZero(c *InferContext) ([]Type, error) {
	x, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	r := UnknownDim()
	if x.Ranked {
		r = D(int64(len(x.Shape)))
	}
	return []Type{TensorType(Int64, Shape{r, UnknownDim()})}, nil
}

func inferCompress(c *InferContext) ([]Type, error) {
	x, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	cond := c.In[1]
	if cond.Kind == KindTensor && cond.DType != Undefined && cond.DType != Bool {
		return nil, fmt.Errorf("condition has element type %s, want bool", cond.DType)
	}
	if cond.Ranked && len(cond.Shape) != 1 {
		return nil, fmt.Errorf("condition has rank %d, want 1", len(cond.Shape))
	}
	a := c.Node.Attr("axis")
	if a == nil {
		return []Type{TensorType(x.DType, Shape{UnknownDim()})}, nil
	}
	if !x.Ranked {
		return []Type{UnrankedTensor(x.DType)}, nil
	}
	ax, err := NormalizeAxis(a.I, len(x.Shape))
	if err != nil {
		return nil, err
	}
	s := x.Shape.Clone()
	s[ax] = UnknownDim()
	return []Type{TensorType(x.DType, s)}, nil
}

func inferOneHot(c *InferContext) ([]Type, error) {
	idx, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	vals := c.In[2]
	if vals.Ranked && !(len(vals.Shape) == 1 && (!vals.Shape[0].IsConcrete() || vals.Shape[0].Value == 2)) {
		return nil, fmt.Errorf("values has shape %s, want [2]", vals.Shape)
	}
	if !idx.Ranked {
		return []Type{UnrankedTensor(vals.DType)}, nil
	}
	r := len(idx.Shape) + 1
	ax, err := NormalizeAxis(c.Node.AttrInt("axis", -1), r)
	if err != nil {
		return nil, err
	}
	depth := UnknownDim()
	if t := shapeConstTensor(c, 1); t != nil && t.Len() == 1 && t.DType != String {
		d := t.Float64At(0)
		if d < 1 {
			return nil, fmt.Errorf("depth %g must be at least 1", d)
		}
		depth = D(int64(d))
	}
	s := make(Shape, 0, r)
	s = append(s, idx.Shape[:ax]...)
	s = append(s, depth)
	s = append(s, idx.Shape[ax:]...)
	return []Type{TensorType(vals.DType, s)}, nil
}

func inferEyeLike(c *InferContext) ([]Type, error) {
	x, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	dt := x.DType
	if a := c.Node.Attr("dtype"); a != nil {
		dt = DType(a.I)
		if !dt.Valid() || dt == String {
			return nil, fmt.Errorf("dtype %d is not a valid numeric element type", a.I)
		}
	}
	if x.Ranked && len(x.Shape) != 2 {
		return nil, fmt.Errorf("input has rank %d, want 2", len(x.Shape))
	}
	s := Shape{UnknownDim(), UnknownDim()}
	if x.Ranked {
		s = x.Shape.Clone()
	}
	return []Type{TensorType(dt, s)}, nil
}

func inferUnique(c *InferContext) ([]Type, error) {
	x, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	outs := []Type{
		TensorType(x.DType, Shape{UnknownDim()}),
		TensorType(Int64, Shape{UnknownDim()}),
		TensorType(Int64, Shape{UnknownDim()}),
		TensorType(Int64, Shape{UnknownDim()}),
	}
	if a := c.Node.Attr("axis"); a != nil {
		if !x.Ranked {
			outs[0] = UnrankedTensor(x.DType)
		} else {
			ax, err := NormalizeAxis(a.I, len(x.Shape))
			if err != nil {
				return nil, err
			}
			s := x.Shape.Clone()
			s[ax] = UnknownDim()
			outs[0] = TensorType(x.DType, s)
			outs[2].Shape[0] = x.Shape[ax]
		}
	} else if x.Ranked {
		outs[2].Shape[0] = shapeProduct(x.Shape)
	}
	return outs[:len(c.Node.Outputs)], nil
}

func inferTopK(c *InferContext) ([]Type, error) {
	x, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	k := UnknownDim()
	if a := c.Node.Attr("k"); a != nil && !c.HasInput(1) {
		k = D(a.I)
	} else if c.HasInput(1) {
		if c.In[1].Ranked && !(len(c.In[1].Shape) == 1 && (!c.In[1].Shape[0].IsConcrete() || c.In[1].Shape[0].Value == 1)) {
			return nil, fmt.Errorf("k has shape %s, want [1]", c.In[1].Shape)
		}
		if v, ok, _ := shapeInputInts(c, 1); ok && len(v) == 1 {
			k = D(v[0])
		}
	} else {
		return nil, fmt.Errorf("k is required (attribute before opset 10, input after)")
	}
	if k.IsConcrete() && k.Value < 0 {
		return nil, fmt.Errorf("k %d is negative", k.Value)
	}
	if !x.Ranked {
		return []Type{UnrankedTensor(x.DType), UnrankedTensor(Int64)}, nil
	}
	ax, err := NormalizeAxis(c.Node.AttrInt("axis", -1), len(x.Shape))
	if err != nil {
		return nil, err
	}
	if d := x.Shape[ax]; d.IsConcrete() && k.IsConcrete() && k.Value > d.Value {
		return nil, fmt.Errorf("k %d exceeds axis %d of size %d", k.Value, ax, d.Value)
	}
	s := x.Shape.Clone()
	s[ax] = k
	return []Type{TensorType(x.DType, s), TensorType(Int64, s.Clone())}, nil
}

func inferReverseSequence(c *InferContext) ([]Type, error) {
	x, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	if x.Ranked {
		if len(x.Shape) < 2 {
			return nil, fmt.Errorf("input has rank %d, want >= 2", len(x.Shape))
		}
		b, t := c.Node.AttrInt("batch_axis", 1), c.Node.AttrInt("time_axis", 0)
		if (b != 0 && b != 1) || (t != 0 && t != 1) || b == t {
			return nil, fmt.Errorf("batch_axis %d and time_axis %d must be 0 and 1 in some order", b, t)
		}
	}
	if err := dataIndexType(c, 1, "sequence_lens"); err != nil {
		return nil, err
	}
	return []Type{x.Clone()}, nil
}
