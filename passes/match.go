package passes

import (
	"github.com/llmc/llmc/ir"
)

// Helpers for matchers.

// producer returns v's defining node when it is the ONNX op named op (any op when op == "").
func producer(v *ir.Value, op string) *ir.Node {
	if v == nil || v.Def == nil || v.Def.Domain != "" {
		return nil
	}
	if op != "" && v.Def.Op != op {
		return nil
	}
	return v.Def
}

// constOf returns v's data when it is a constant: an initializer or a Constant node's output.
func constOf(v *ir.Value) *ir.Tensor {
	if v == nil {
		return nil
	}
	if v.Const != nil {
		return v.Const
	}
	if n := producer(v, "Constant"); n != nil {
		if t, err := ir.ConstantValue(n); err == nil {
			return t
		}
	}
	return nil
}

// scalarOf returns the single value of a one-element numeric constant.
func scalarOf(v *ir.Value) (float64, bool) {
	t := constOf(v)
	if t == nil || t.Len() != 1 || t.DType == ir.String {
		return 0, false
	}
	return t.Float64At(0), true
}

// intsOf returns an integer constant's elements.
func intsOf(v *ir.Value) ([]int64, bool) {
	t := constOf(v)
	if t == nil || !t.DType.IsInt() {
		return nil, false
	}
	return t.AsInt64s(), true
}

// isScalarNear reports whether v is a one-element constant within tol of want.
func isScalarNear(v *ir.Value, want, tol float64) bool {
	x, ok := scalarOf(v)
	return ok && x >= want-tol && x <= want+tol
}

// otherInput returns the input of a binary node that is not v (nil if v is not an input).
func otherInput(n *ir.Node, v *ir.Value) *ir.Value {
	if len(n.Inputs) != 2 {
		return nil
	}
	switch v {
	case n.Inputs[0]:
		return n.Inputs[1]
	case n.Inputs[1]:
		return n.Inputs[0]
	}
	return nil
}

// rankOf returns v's rank, or -1.
func rankOf(v *ir.Value) int {
	if v == nil || v.Type.Kind != ir.KindTensor {
		return -1
	}
	return v.Type.Rank()
}

// lastDim returns v's last dimension when known.
func lastDim(v *ir.Value) (int64, bool) {
	r := rankOf(v)
	if r < 1 || !v.Type.Shape[r-1].IsConcrete() {
		return 0, false
	}
	return v.Type.Shape[r-1].Value, true
}

// reduceAxes returns the axes of a Reduce* node (attribute before opset 18/13, input after).
func reduceAxes(n *ir.Node) ([]int64, bool) {
	if a := n.Attr("axes"); a != nil {
		return a.Ints, true
	}
	if len(n.Inputs) > 1 && n.Inputs[1] != nil {
		return intsOf(n.Inputs[1])
	}
	return nil, false
}

// isLastAxis reports whether axes is exactly the last axis of a rank-r tensor.
func isLastAxis(axes []int64, r int) bool {
	return len(axes) == 1 && (axes[0] == -1 || (r > 0 && axes[0] == int64(r-1)))
}

// setF64 stores float64 values into a float tensor.
func setF64(t *ir.Tensor, vals []float64) {
	switch t.DType {
	case ir.Float32:
		d := t.Float32s()
		for i, v := range vals {
			d[i] = float32(v)
		}
	case ir.Float64:
		copy(t.Float64s(), vals)
	case ir.Float16:
		d := t.Uint16s()
		for i, v := range vals {
			d[i] = ir.Float32ToFloat16(float32(v))
		}
	}
}
