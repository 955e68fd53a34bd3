package lower

import (
	"github.com/llmc/llmc/ir"
)

func init() {
	for _, op := range []string{"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity"} {
		register("", op, (*lowerer).viewOp)
	}
	register("", "Dropout", (*lowerer).dropout)
	register("", "Cast", (*lowerer).cast)
	register("", "Transpose", (*lowerer).transpose)
	register("", "Gather", (*lowerer).gather)
	register("", "Shape", (*lowerer).shapeOp)
	register("", "Size", (*lowerer).shapeOp)
}

// viewOp lowers ops that keep the bytes and change the shape to views (no step).
func (l *lowerer) viewOp(n *ir.Node) (bool, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	if y == nil || l.typ(x).DType != l.typ(y).DType {
		return false, nil
	}
	xd, yd := l.dims(x), l.dims(y)
	if xd == nil || yd == nil || !Product(xd...).Equal(Product(yd...)) {
		return false, nil
	}
	return true, l.view(y, x)
}

// dropout in inference (no training_mode, or a constant false one) is the identity.
func (l *lowerer) dropout(n *ir.Node) (bool, error) {
	if l.used(n.Output(1)) {
		return false, nil
	}
	if tm := n.Input(2); tm != nil {
		t := l.constant(tm)
		if t == nil || t.Len() != 1 || t.Raw[0] != 0 {
			return false, nil
		}
	}
	if n.AttrInt("is_test", 1) == 0 && l.g.OpsetVersion("") < 7 {
		return false, nil
	}
	return l.viewOp(n)
}

func (l *lowerer) cast(n *ir.Node) (bool, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	from, to := l.typ(x).DType, l.typ(y).DType
	if from == to {
		return l.viewOp(n)
	}
	return false, nil // castAny converts
}

func (l *lowerer) transpose(n *ir.Node) (bool, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	d := l.dims(x)
	perm := n.AttrInts("perm", nil)
	if !l.isF32(x, y) || len(d) != 4 || len(perm) != 4 || perm[0] != 0 || perm[1] != 2 || perm[2] != 1 || perm[3] != 3 {
		return false, nil
	}
	return l.simple(n, []*ir.Value{x}, func(vs []*Value, yv *Value) Kernel {
		return &TransposeBSHD{X: vs[0], Y: yv, B: d[0], S: d[1], H: d[2], D: d[3]}
	})
}

func (l *lowerer) gather(n *ir.Node) (bool, error) {
	data, idx, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	dd, id := l.dims(data), l.dims(idx)
	dt := l.typ(data).DType
	if dd == nil || id == nil || y == nil || (l.typ(idx).DType != ir.Int64 && l.typ(idx).DType != ir.Int32) {
		return false, nil
	}
	ax, err := ir.NormalizeAxis(n.AttrInt("axis", 0), len(dd))
	if err != nil {
		return false, nil
	}
	return l.simple(n, []*ir.Value{data, idx}, func(vs []*Value, yv *Value) Kernel {
		return &Gather{Data: vs[0], Idx: vs[1], Y: yv, Outer: Product(dd[:ax]...), Rows: dd[ax],
			Inner: Product(dd[ax+1:]...).Scale(int64(dt.Size())), NIdx: Product(id...)}
	})
}

// shapeOp lowers Shape and Size to a bind step writing the (symbolic) dims.
func (l *lowerer) shapeOp(n *ir.Node) (bool, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	d := l.dims(x)
	if d == nil || l.typ(y).DType != ir.Int64 {
		return false, nil
	}
	var dims []Expr
	if n.Op == "Size" {
		dims = []Expr{Product(d...)}
	} else {
		lo, hi := ir.ShapeRange(len(d), n)
		dims = d[lo:hi]
	}
	yv, err := l.define(y)
	if err != nil {
		return false, err
	}
	l.add(&ShapeOf{Y: yv, Dims: dims}, []*ir.Node{n}, nil, []*Value{yv})
	return true, nil
}
