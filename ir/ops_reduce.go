package ir

import "fmt"

// Reductions (ReduceX, ArgMax/ArgMin), CumSum and the Softmax family.

// ReduceNormAxes normalises reduction axes against rank, refusing out-of-range and repeated axes.
// It returns a mask of the reduced axes.
func ReduceNormAxes(axes []int64, rank int) ([]bool, error) {
	mask := make([]bool, rank)
	for _, a := range axes {
		ax, err := NormalizeAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if mask[ax] {
			return nil, fmt.Errorf("axis %d given twice in axes %v", a, axes)
		}
		mask[ax] = true
	}
	return mask, nil
}

// reduceInfer infers ReduceX: the input's element type; reduced dims become 1 (keepdims=1) or
// disappear. Empty axes reduce everything unless noop_with_empty_axes=1.
func reduceInfer(c *InferContext) ([]Type, error) {
	x := c.In[0]
	if x.Kind != KindUnknown && x.Kind != KindTensor {
		return nil, fmt.Errorf("input is a %s, want a tensor", x)
	}
	out := Type{Kind: KindTensor, DType: x.DType}
	keep := c.Node.AttrInt("keepdims", 1) != 0
	noop := c.Node.AttrInt("noop_with_empty_axes", 0) != 0
	var axes []int64
	known := true
	if a := c.Node.Attr("axes"); a != nil {
		axes = a.Ints
	} else if c.HasInput(1) {
		if t := c.In[1]; t.Kind == KindTensor && t.DType != Undefined && t.DType != Int64 {
			return nil, fmt.Errorf("axes input has element type %s, want i64", t.DType)
		}
		if t := c.In[1]; t.Ranked && len(t.Shape) != 1 {
			return nil, fmt.Errorf("axes input has rank %d, want 1", len(t.Shape))
		}
		axes, known = c.ConstInt64s(1)
	}
	if !x.Ranked {
		return []Type{out}, nil
	}
	rank := len(x.Shape)
	if !known {
		if keep {
			out.Ranked = true
			out.Shape = make(Shape, rank)
			for i, d := range x.Shape {
				out.Shape[i] = UnknownDim()
				if d.IsConcrete() && d.Value == 1 {
					out.Shape[i] = d
				}
			}
		}
		return []Type{out}, nil
	}
	if len(axes) == 0 {
		if noop {
			return []Type{x.Clone()}, nil
		}
		axes = make([]int64, rank)
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	mask, err := ReduceNormAxes(axes, rank)
	if err != nil {
		return nil, err
	}
	out.Ranked = true
	out.Shape = Shape{}
	for i, d := range x.Shape {
		switch {
		case !mask[i]:
			out.Shape = append(out.Shape, d)
		case keep:
			out.Shape = append(out.Shape, D(1))
		}
	}
	return []Type{out}, nil
}

// reduceInferArg infers ArgMax/ArgMin: int64 indices with `axis` reduced (kept as 1 when
// keepdims=1).
func reduceInferArg(c *InferContext) ([]Type, error) {
	x := c.In[0]
	out := Type{Kind: KindTensor, DType: Int64}
	if !x.Ranked {
		return []Type{out}, nil
	}
	axis, err := NormalizeAxis(c.Node.AttrInt("axis", 0), len(x.Shape))
	if err != nil {
		return nil, err
	}
	out.Ranked = true
	out.Shape = Shape{}
	for i, d := range x.Shape {
		switch {
		case i != axis:
			out.Shape = append(out.Shape, d)
		case c.Node.AttrInt("keepdims", 1) != 0:
			out.Shape = append(out.Shape, D(1))
		}
	}
	return []Type{out}, nil
}

// reduceInferCumSum infers CumSum: x's type; the axis input must be a scalar (or 1-element) int.
func reduceInferCumSum(c *InferContext) ([]Type, error) {
	if t := c.In[1]; t.Kind == KindTensor && t.DType != Undefined && t.DType != Int64 && t.DType != Int32 {
		return nil, fmt.Errorf("axis input has element type %s, want i32 or i64", t.DType)
	}
	if t := c.In[1]; t.Ranked && len(t.Shape) > 1 {
		return nil, fmt.Errorf("axis input has rank %d, want a scalar", len(t.Shape))
	}
	if ax, ok := c.ConstInt64s(1); ok && c.In[0].Ranked {
		if len(ax) != 1 {
			return nil, fmt.Errorf("axis input has %d elements, want 1", len(ax))
		}
		if _, err := NormalizeAxis(ax[0], len(c.In[0].Shape)); err != nil {
			return nil, err
		}
	}
	return InferSameAsInput(c)
}

// SoftmaxAxis returns the node's axis attribute with the opset-dependent default (1 before opset
// 13, -1 from 13).
func SoftmaxAxis(n *Node, opset int64) int64 {
	def := int64(-1)
	if opset >= 1 && opset < 13 {
		def = 1
	}
	return n.AttrInt("axis", def)
}

// reduceInferSoftmax infers Softmax/LogSoftmax/Hardmax: x's type, after checking the axis (before
// opset 13 the axis may equal the rank: the input is coerced to 2-D at axis).
func reduceInferSoftmax(c *InferContext) ([]Type, error) {
	if x := c.In[0]; x.Ranked {
		axis := SoftmaxAxis(c.Node, c.Opset)
		r := int64(len(x.Shape))
		lo, hi := -r, r-1
		if c.Opset >= 1 && c.Opset < 13 {
			hi = r
		}
		if axis < lo || axis > hi {
			return nil, fmt.Errorf("axis %d out of range for rank %d", axis, r)
		}
	}
	return elemInferUnary(c)
}

func init() {
	for _, op := range []struct{ name, doc string }{
		{"ReduceSum", "y = sum of x over axes"},
		{"ReduceMean", "y = mean of x over axes"},
		{"ReduceMax", "y = maximum of x over axes"},
		{"ReduceMin", "y = minimum of x over axes"},
		{"ReduceProd", "y = product of x over axes"},
		{"ReduceL1", "y = sum of |x| over axes"},
		{"ReduceL2", "y = sqrt(sum of x^2 over axes)"},
		{"ReduceLogSum", "y = ln(sum of x over axes)"},
		{"ReduceLogSumExp", "y = ln(sum of e^x over axes)"},
		{"ReduceSumSquare", "y = sum of x^2 over axes"},
	} {
		RegisterOp(&OpSchema{Name: op.name, Since: 1, Category: "reduce",
			Doc:   op.doc + " (axes attribute, or input 1 from opset 13 for ReduceSum and 18 for the others; empty axes reduce all unless noop_with_empty_axes=1)",
			MinIn: 1, MaxIn: 2, MinOut: 1, MaxOut: 1,
			Attrs: []AttrSpec{opt("axes", AttrInts), optInt("keepdims", 1), optInt("noop_with_empty_axes", 0)},
			Infer: reduceInfer})
	}
	for _, op := range []struct{ name, doc string }{
		{"ArgMax", "y = int64 index of the maximum of x along axis (first, or last with select_last_index=1)"},
		{"ArgMin", "y = int64 index of the minimum of x along axis (first, or last with select_last_index=1)"},
	} {
		RegisterOp(&OpSchema{Name: op.name, Since: 1, Category: "reduce", Doc: op.doc,
			MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
			Attrs: []AttrSpec{optInt("axis", 0), optInt("keepdims", 1), optInt("select_last_index", 0)},
			Infer: reduceInferArg})
	}
	RegisterOp(&OpSchema{Name: "CumSum", Since: 11, Category: "math",
		Doc:   "y = running sum of x along axis (exclusive=1 omits the current element, reverse=1 sums from the end)",
		MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("exclusive", 0), optInt("reverse", 0)},
		Infer: reduceInferCumSum})
	for _, op := range []struct{ name, doc string }{
		{"Softmax", "y = e^x / sum(e^x) along axis"},
		{"LogSoftmax", "y = x - ln(sum(e^x)) along axis"},
		{"Hardmax", "y = 1 at the first maximum along axis, 0 elsewhere"},
	} {
		RegisterOp(&OpSchema{Name: op.name, Since: 1, Category: "nn",
			Doc:   op.doc + " (before opset 13: over the 2-D coercion of x at axis, default 1; from 13: along one axis, default -1)",
			MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
			// the default axis depends on the opset (see SoftmaxAxis)
			Attrs: []AttrSpec{opt("axis", AttrInt)},
			Infer: reduceInferSoftmax})
	}
}
