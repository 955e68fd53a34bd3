package ref

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/llmc/llmc/ir"
)

// Shared helpers for evaluation hooks. Every hook allocates its outputs with ctx.NewTensor so the
// memory cap holds.

// Strides returns row-major element strides of shape.
func Strides(shape []int64) []int64 {
	s := make([]int64, len(shape))
	acc := int64(1)
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// BroadcastShape returns the numpy broadcast of concrete shapes, or an error naming them.
func BroadcastShape(shapes ...[]int64) ([]int64, error) {
	r := 0
	for _, s := range shapes {
		r = max(r, len(s))
	}
	out := make([]int64, r)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		for i := range s {
			j := r - len(s) + i
			switch {
			case s[i] == out[j]:
			case out[j] == 1:
				out[j] = s[i]
			case s[i] != 1:
				return nil, fmt.Errorf("shapes %v do not broadcast", shapes)
			}
		}
	}
	return out, nil
}

// BroadcastIndex returns, for every element of out (row-major), the linear index of the element
// of an input of shape in that it reads under numpy broadcasting.
func BroadcastIndex(out, in []int64) []int {
	n := 1
	for _, d := range out {
		n *= int(d)
	}
	idx := make([]int, n)
	r := len(out)
	inStr := make([]int64, r) // stride of in along each out axis (0 where broadcast)
	is := Strides(in)
	for i := range in {
		j := r - len(in) + i
		if in[i] != 1 {
			inStr[j] = is[i]
		}
	}
	counter := make([]int64, r)
	off := int64(0)
	for k := 0; k < n; k++ {
		idx[k] = int(off)
		for a := r - 1; a >= 0; a-- {
			counter[a]++
			off += inStr[a]
			if counter[a] < out[a] {
				break
			}
			off -= inStr[a] * counter[a]
			counter[a] = 0
		}
	}
	return idx
}

// F64s converts the elements of a numeric or bool tensor to float64 (a new slice).
func F64s(t *ir.Tensor) []float64 {
	n := t.Len()
	out := make([]float64, n)
	switch t.DType {
	case ir.Float32:
		for i, v := range t.Float32s() {
			out[i] = float64(v)
		}
	case ir.Float64:
		copy(out, t.Float64s())
	case ir.Int64:
		for i, v := range t.Int64s() {
			out[i] = float64(v)
		}
	case ir.Int32:
		for i, v := range t.Int32s() {
			out[i] = float64(v)
		}
	default:
		for i := range out {
			out[i] = t.Float64At(i)
		}
	}
	return out
}

// SetF64s stores vals into t, converting to t's dtype the way a C cast would (round-to-nearest
// for float16/bfloat16, truncation toward zero for integers, nonzero for bool).
func SetF64s(t *ir.Tensor, vals []float64) {
	r := t.Raw
	switch t.DType {
	case ir.Float32:
		d := t.Float32s()
		for i, v := range vals {
			d[i] = float32(v)
		}
	case ir.Float64:
		copy(t.Float64s(), vals)
	case ir.Float16:
		for i, v := range vals {
			binary.LittleEndian.PutUint16(r[2*i:], elemToFloat16(v)) // one rounding, from float64
		}
	case ir.BFloat16:
		for i, v := range vals {
			binary.LittleEndian.PutUint16(r[2*i:], elemToBFloat16(v))
		}
	case ir.Bool:
		for i, v := range vals {
			r[i] = 0
			if v != 0 {
				r[i] = 1
			}
		}
	case ir.Int8, ir.Uint8:
		for i, v := range vals {
			r[i] = byte(int64(v))
		}
	case ir.Int16, ir.Uint16:
		for i, v := range vals {
			binary.LittleEndian.PutUint16(r[2*i:], uint16(int64(v)))
		}
	case ir.Int32:
		for i, v := range vals {
			binary.LittleEndian.PutUint32(r[4*i:], uint32(int32(int64(v))))
		}
	case ir.Uint32:
		for i, v := range vals {
			binary.LittleEndian.PutUint32(r[4*i:], uint32(int64(v)))
		}
	case ir.Int64:
		d := t.Int64s()
		for i, v := range vals {
			d[i] = f64ToInt64(v)
		}
	case ir.Uint64:
		for i, v := range vals {
			binary.LittleEndian.PutUint64(r[8*i:], f64ToUint64(v))
		}
	default:
		panic(fmt.Sprintf("ref: SetF64s on %s", t.DType))
	}
}

func f64ToInt64(v float64) int64 {
	switch {
	case math.IsNaN(v):
		return math.MinInt64
	case v >= 9.223372036854775807e18:
		return math.MaxInt64
	case v <= -9.223372036854775808e18:
		return math.MinInt64
	}
	return int64(v)
}

func f64ToUint64(v float64) uint64 {
	if v < 0 {
		return uint64(int64(v))
	}
	if v >= 1.8446744073709552e19 {
		return math.MaxUint64
	}
	return uint64(v)
}

// Tensor returns in[i] as a tensor, or nil if absent or not a tensor.
func Tensor(in []ir.Datum, i int) *ir.Tensor {
	if i >= len(in) || in[i] == nil {
		return nil
	}
	t, _ := in[i].(*ir.Tensor)
	return t
}

// Tensors adapts a tensor-only hook to the ir.EvalFunc signature: it checks that every present
// input is a tensor (absent optional inputs are nil) and wraps the results.
func Tensors(f func(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error)) ir.EvalFunc {
	return func(ctx ir.EvalContext, n *ir.Node, in []ir.Datum) ([]ir.Datum, error) {
		ts := make([]*ir.Tensor, len(in))
		for i, d := range in {
			if d == nil {
				continue
			}
			t, ok := d.(*ir.Tensor)
			if !ok {
				return nil, fmt.Errorf("input %d: got %T, want a tensor", i, d)
			}
			ts[i] = t
		}
		outs, err := f(ctx, n, ts)
		if err != nil {
			return nil, err
		}
		ds := make([]ir.Datum, len(outs))
		for i, t := range outs {
			if t != nil {
				ds[i] = t
			}
		}
		return ds, nil
	}
}

// SetEval registers a tensor-only evaluation hook for domain::op in the op table.
func SetEval(domain, op string, f func(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error)) {
	ir.MustOp(domain, op).Eval = Tensors(f)
}
