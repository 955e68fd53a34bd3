package ref

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/llmc/llmc/ir"
)

// Evaluation of the elementwise family: unary math and activations, binary arithmetic, logic and
// comparisons (numpy broadcasting, or the legacy broadcast/axis attributes before opset 7),
// variadic Max/Min/Sum/Mean, Where, Clip, PRelu, Cast and CastLike.
//
// Floating-point inputs are widened to float64, computed once and rounded once to the output type
// (correctly, also for float16/bfloat16). Integers are computed exactly in int64 (uint64 values are
// carried by their bit pattern) and wrap to the output width.

// elemIsFloat reports whether dt is a float type the arithmetic ops compute on.
func elemIsFloat(dt ir.DType) bool {
	switch dt {
	case ir.Float32, ir.Float64, ir.Float16, ir.BFloat16:
		return true
	}
	return false
}

// elemIsInt reports whether dt is a byte-aligned integer type.
func elemIsInt(dt ir.DType) bool {
	switch dt {
	case ir.Int8, ir.Int16, ir.Int32, ir.Int64, ir.Uint8, ir.Uint16, ir.Uint32, ir.Uint64:
		return true
	}
	return false
}

// elemReadI returns the elements of an integer or bool tensor as int64 (uint64 by bit pattern).
func elemReadI(t *ir.Tensor) []int64 {
	n := t.Len()
	out := make([]int64, n)
	r := t.Raw
	switch t.DType {
	case ir.Int8:
		for i := range out {
			out[i] = int64(int8(r[i]))
		}
	case ir.Uint8, ir.Bool:
		for i := range out {
			out[i] = int64(r[i])
		}
	case ir.Int16:
		for i := range out {
			out[i] = int64(int16(binary.LittleEndian.Uint16(r[2*i:])))
		}
	case ir.Uint16:
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint16(r[2*i:]))
		}
	case ir.Int32:
		for i := range out {
			out[i] = int64(int32(binary.LittleEndian.Uint32(r[4*i:])))
		}
	case ir.Uint32:
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint32(r[4*i:]))
		}
	case ir.Int64, ir.Uint64:
		for i := range out {
			out[i] = int64(binary.LittleEndian.Uint64(r[8*i:]))
		}
	default:
		panic("ref: elemReadI on " + t.DType.String())
	}
	return out
}

// elemWriteI stores int64 values into an integer or bool tensor, wrapping to its width (bool:
// nonzero is true).
func elemWriteI(t *ir.Tensor, vals []int64) {
	r := t.Raw
	switch t.DType {
	case ir.Int8, ir.Uint8:
		for i, v := range vals {
			r[i] = byte(v)
		}
	case ir.Bool:
		for i, v := range vals {
			r[i] = 0
			if v != 0 {
				r[i] = 1
			}
		}
	case ir.Int16, ir.Uint16:
		for i, v := range vals {
			binary.LittleEndian.PutUint16(r[2*i:], uint16(v))
		}
	case ir.Int32, ir.Uint32:
		for i, v := range vals {
			binary.LittleEndian.PutUint32(r[4*i:], uint32(v))
		}
	case ir.Int64, ir.Uint64:
		for i, v := range vals {
			binary.LittleEndian.PutUint64(r[8*i:], uint64(v))
		}
	default:
		panic("ref: elemWriteI on " + t.DType.String())
	}
}

// elemReadF returns the elements of a float tensor as float64 (exactly).
func elemReadF(t *ir.Tensor) []float64 { return F64s(t) }

// elemWriteF stores float64 values into a float tensor with one correct round-to-nearest-even.
func elemWriteF(t *ir.Tensor, vals []float64) {
	r := t.Raw
	switch t.DType {
	case ir.Float16:
		for i, v := range vals {
			binary.LittleEndian.PutUint16(r[2*i:], elemToFloat16(v))
		}
	case ir.BFloat16:
		for i, v := range vals {
			binary.LittleEndian.PutUint16(r[2*i:], elemToBFloat16(v))
		}
	default:
		SetF64s(t, vals)
	}
}

// elemRoundTo rounds a finite, nonzero |v| to a binary format with mbits fraction bits and
// minimum normal exponent emin (round to nearest, ties to even; subnormals included). The result
// is a float64 holding the exactly representable value (possibly one binade up).
func elemRoundTo(v float64, mbits, emin int) float64 {
	_, exp := math.Frexp(v) // v = f*2^exp with |f| in [0.5, 1)
	e := exp - 1
	if e < emin {
		e = emin
	}
	q := math.Ldexp(1, e-mbits)
	return math.RoundToEven(v/q) * q
}

// elemToFloat16 converts float64 to IEEE binary16 bits with a single rounding.
func elemToFloat16(v float64) uint16 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v == 0 {
		return ir.Float32ToFloat16(float32(v))
	}
	r := elemRoundTo(v, 10, -14)
	if math.Abs(r) > 65504 {
		return ir.Float32ToFloat16(float32(math.Copysign(math.Inf(1), v)))
	}
	return ir.Float32ToFloat16(float32(r)) // exact
}

// elemToBFloat16 converts float64 to bfloat16 bits with a single rounding.
func elemToBFloat16(v float64) uint16 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v == 0 {
		return ir.Float32ToBFloat16(float32(v))
	}
	r := elemRoundTo(v, 7, -126)
	if math.Abs(r) > math.MaxFloat32 {
		return ir.Float32ToBFloat16(float32(math.Copysign(math.Inf(1), v)))
	}
	return ir.Float32ToBFloat16(float32(r)) // exact
}

// elemLess compares two integers of dtype dt (uint64 compares unsigned).
func elemLess(dt ir.DType, a, b int64) bool {
	if dt == ir.Uint64 {
		return uint64(a) < uint64(b)
	}
	return a < b
}

// elemBroadcast2 returns the output shape of a binary op and the shapes through which a and b
// are read (for BroadcastIndex): numpy broadcasting from opset 7, the legacy rule before (shapes
// equal, or with broadcast=1 b aligned inside a at axis). Callers allocate the output before
// building indices, so the memory cap is checked first.
func elemBroadcast2(n *ir.Node, opset int64, a, b *ir.Tensor) (shape, as, bs []int64, err error) {
	if opset >= 1 && opset < 7 {
		if n.AttrInt("broadcast", 0) == 0 {
			if !elemSameShape(a.Shape, b.Shape) {
				return nil, nil, nil, fmt.Errorf("inputs have shapes %v and %v; before opset 7 they must match unless broadcast=1", a.Shape, b.Shape)
			}
			return a.Shape, a.Shape, b.Shape, nil
		}
		axis, err := ir.ElemLegacyAxis(n, len(a.Shape), len(b.Shape))
		if err != nil {
			return nil, nil, nil, err
		}
		bs := make([]int64, len(a.Shape))
		for i := range bs {
			bs[i] = 1
		}
		for i, d := range b.Shape {
			if d != 1 && d != a.Shape[axis+i] {
				return nil, nil, nil, fmt.Errorf("legacy broadcast: b %v does not match a %v at axis %d", b.Shape, a.Shape, axis)
			}
			bs[axis+i] = d
		}
		return a.Shape, a.Shape, bs, nil
	}
	shape, err = BroadcastShape(a.Shape, b.Shape)
	if err != nil {
		return nil, nil, nil, err
	}
	return shape, a.Shape, b.Shape, nil
}

func elemSameShape(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// elemNeed returns the tensor input i, or an error naming the missing input.
func elemNeed(in []*ir.Tensor, i int) (*ir.Tensor, error) {
	if i >= len(in) || in[i] == nil {
		return nil, fmt.Errorf("input %d is missing", i)
	}
	if err := in[i].Validate(); err != nil {
		return nil, fmt.Errorf("input %d: %v", i, err)
	}
	return in[i], nil
}

// elemBinary describes a two-input arithmetic op: f on floats, i on integers (dt is the element
// type, for signedness); nil means the class of types is not accepted.
type elemBinary struct {
	f func(a, b float64) float64
	i func(a, b int64, dt ir.DType) (int64, error)
}

func elemEvalBinary(op elemBinary) func(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return func(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
		a, err := elemNeed(in, 0)
		if err != nil {
			return nil, err
		}
		b, err := elemNeed(in, 1)
		if err != nil {
			return nil, err
		}
		if a.DType != b.DType {
			return nil, fmt.Errorf("inputs have element types %s and %s; they must match", a.DType, b.DType)
		}
		dt := a.DType
		switch {
		case elemIsFloat(dt) && op.f != nil, elemIsInt(dt) && op.i != nil:
		default:
			return nil, Unsupportedf("%s on element type %s", n.Op, dt)
		}
		shape, as, bs, err := elemBroadcast2(n, ctx.Opset(), a, b)
		if err != nil {
			return nil, err
		}
		out, err := ctx.NewTensor(dt, shape)
		if err != nil {
			return nil, err
		}
		ia, ib := BroadcastIndex(shape, as), BroadcastIndex(shape, bs)
		if elemIsFloat(dt) {
			x, y := elemReadF(a), elemReadF(b)
			res := make([]float64, len(ia))
			for k := range res {
				res[k] = op.f(x[ia[k]], y[ib[k]])
			}
			elemWriteF(out, res)
			return []*ir.Tensor{out}, nil
		}
		x, y := elemReadI(a), elemReadI(b)
		res := make([]int64, len(ia))
		for k := range res {
			if res[k], err = op.i(x[ia[k]], y[ib[k]], dt); err != nil {
				return nil, err
			}
		}
		elemWriteI(out, res)
		return []*ir.Tensor{out}, nil
	}
}

// elemIntDiv divides integers, truncating toward zero (unsigned for uint types).
func elemIntDiv(a, b int64, dt ir.DType) (int64, error) {
	if b == 0 {
		return 0, fmt.Errorf("integer division by zero")
	}
	if dt == ir.Uint64 {
		return int64(uint64(a) / uint64(b)), nil
	}
	return a / b, nil // MinInt64 / -1 wraps to MinInt64 in Go, as in two's complement hardware
}

// elemIntMod computes a mod b: fmod=false takes the divisor's sign (Python %), fmod=true the
// dividend's (C %).
func elemIntMod(a, b int64, dt ir.DType, fmod bool) (int64, error) {
	if b == 0 {
		return 0, fmt.Errorf("integer modulo by zero")
	}
	if dt == ir.Uint64 {
		return int64(uint64(a) % uint64(b)), nil
	}
	r := a % b
	if !fmod && r != 0 && (r < 0) != (b < 0) {
		r += b
	}
	return r, nil
}

// elemIntPow computes a^b exactly with wrap-around; a negative exponent gives the truncated
// 1/a^|b| (unsignedExp reads b as a uint64 bit pattern).
func elemIntPow(a, b int64, unsignedExp bool) int64 {
	if b < 0 && !unsignedExp {
		switch a {
		case 1:
			return 1
		case -1:
			if b%2 == 0 {
				return 1
			}
			return -1
		}
		return 0 // |1/a^|b|| < 1 truncates to 0 (a == 0 has no finite value; numpy also gives 0 here)
	}
	r := int64(1)
	for e := uint64(b); e > 0; e >>= 1 {
		if e&1 == 1 {
			r *= a
		}
		a *= a
	}
	return r
}

// elemEvalPow evaluates Pow: z has x's element type; the exponent may have another numeric type.
func elemEvalPow(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a, err := elemNeed(in, 0)
	if err != nil {
		return nil, err
	}
	b, err := elemNeed(in, 1)
	if err != nil {
		return nil, err
	}
	for _, t := range []*ir.Tensor{a, b} {
		if !elemIsFloat(t.DType) && !elemIsInt(t.DType) {
			return nil, Unsupportedf("Pow on element type %s", t.DType)
		}
	}
	shape, as, bs, err := elemBroadcast2(n, ctx.Opset(), a, b)
	if err != nil {
		return nil, err
	}
	out, err := ctx.NewTensor(a.DType, shape)
	if err != nil {
		return nil, err
	}
	ia, ib := BroadcastIndex(shape, as), BroadcastIndex(shape, bs)
	if elemIsInt(a.DType) && elemIsInt(b.DType) {
		x, y := elemReadI(a), elemReadI(b)
		res := make([]int64, len(ia))
		for k := range res {
			res[k] = elemIntPow(x[ia[k]], y[ib[k]], b.DType == ir.Uint64)
		}
		elemWriteI(out, res)
		return []*ir.Tensor{out}, nil
	}
	x, y := elemF64sAny(a), elemF64sAny(b)
	res := make([]float64, len(ia))
	for k := range res {
		res[k] = math.Pow(x[ia[k]], y[ib[k]])
	}
	if elemIsFloat(a.DType) {
		elemWriteF(out, res)
	} else {
		SetF64s(out, res) // float result cast to the integer base type (truncation)
	}
	return []*ir.Tensor{out}, nil
}

// elemF64sAny converts any numeric tensor to float64 (uint64 without going negative).
func elemF64sAny(t *ir.Tensor) []float64 {
	if t.DType == ir.Uint64 {
		v := elemReadI(t)
		out := make([]float64, len(v))
		for i, x := range v {
			out[i] = float64(uint64(x))
		}
		return out
	}
	return F64s(t)
}

// elemEvalMod evaluates Mod with the fmod attribute (fmod=0 is for integers only).
func elemEvalMod(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	fmod := n.AttrInt("fmod", 0) != 0
	if t := elemIn(in, 0); t != nil && elemIsFloat(t.DType) && !fmod {
		return nil, fmt.Errorf("Mod on %s needs fmod=1", t.DType)
	}
	return elemEvalBinary(elemBinary{
		f: math.Mod,
		i: func(a, b int64, dt ir.DType) (int64, error) { return elemIntMod(a, b, dt, fmod) },
	})(ctx, n, in)
}

// elemIn returns in[i] or nil when absent (for []*ir.Tensor inputs).
func elemIn(in []*ir.Tensor, i int) *ir.Tensor {
	if i < len(in) {
		return in[i]
	}
	return nil
}

// elemEvalBitShift evaluates BitShift on unsigned integers (shifts of the width or more give 0).
func elemEvalBitShift(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	dir := n.AttrString("direction", "")
	if dir != "LEFT" && dir != "RIGHT" { // also checked by inference; a hand-built node may skip it
		return nil, fmt.Errorf("direction is %q, want LEFT or RIGHT", dir)
	}
	if t := elemIn(in, 0); t != nil && t.DType.IsSigned() {
		return nil, fmt.Errorf("BitShift on signed type %s; the spec allows unsigned integers only", t.DType)
	}
	return elemEvalBinary(elemBinary{i: func(a, b int64, dt ir.DType) (int64, error) {
		s := uint64(b)
		if s >= 64 {
			return 0, nil
		}
		if dir == "LEFT" {
			return int64(uint64(a) << s), nil
		}
		return int64(uint64(a) >> s), nil // a is non-negative for narrow unsigned types, bits for uint64
	}})(ctx, n, in)
}

// elemCompare describes a comparison or logic op producing bool.
type elemCompare struct {
	f    func(a, b float64) bool
	i    func(a, b int64, dt ir.DType) bool
	bool bool // accepts bool inputs (compared through i as 0/1)
	str  func(a, b string) bool
}

func elemEvalCompare(op elemCompare) func(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	return func(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
		a, err := elemNeed(in, 0)
		if err != nil {
			return nil, err
		}
		b, err := elemNeed(in, 1)
		if err != nil {
			return nil, err
		}
		if a.DType != b.DType {
			return nil, fmt.Errorf("inputs have element types %s and %s; they must match", a.DType, b.DType)
		}
		dt := a.DType
		switch {
		case elemIsFloat(dt) && op.f != nil, elemIsInt(dt) && op.i != nil && op.f != nil, dt == ir.Bool && op.bool, dt == ir.String && op.str != nil:
		default:
			return nil, Unsupportedf("%s on element type %s", n.Op, dt)
		}
		shape, as, bs, err := elemBroadcast2(n, ctx.Opset(), a, b)
		if err != nil {
			return nil, err
		}
		out, err := ctx.NewTensor(ir.Bool, shape)
		if err != nil {
			return nil, err
		}
		ia, ib := BroadcastIndex(shape, as), BroadcastIndex(shape, bs)
		o := out.Raw
		set := func(k int, v bool) {
			if v {
				o[k] = 1
			}
		}
		switch {
		case elemIsFloat(dt):
			x, y := elemReadF(a), elemReadF(b)
			for k := range o {
				set(k, op.f(x[ia[k]], y[ib[k]]))
			}
		case dt == ir.String:
			for k := range o {
				set(k, op.str(string(a.Strings[ia[k]]), string(b.Strings[ib[k]])))
			}
		default:
			x, y := elemReadI(a), elemReadI(b)
			for k := range o {
				set(k, op.i(x[ia[k]], y[ib[k]], dt))
			}
		}
		return []*ir.Tensor{out}, nil
	}
}

func elemRegisterBinary() {
	SetEval("", "Add", elemEvalBinary(elemBinary{
		f: func(a, b float64) float64 { return a + b },
		i: func(a, b int64, _ ir.DType) (int64, error) { return a + b, nil },
	}))
	SetEval("", "Sub", elemEvalBinary(elemBinary{
		f: func(a, b float64) float64 { return a - b },
		i: func(a, b int64, _ ir.DType) (int64, error) { return a - b, nil },
	}))
	SetEval("", "Mul", elemEvalBinary(elemBinary{
		f: func(a, b float64) float64 { return a * b },
		i: func(a, b int64, _ ir.DType) (int64, error) { return a * b, nil },
	}))
	SetEval("", "Div", elemEvalBinary(elemBinary{
		f: func(a, b float64) float64 { return a / b },
		i: elemIntDiv,
	}))
	SetEval("", "Pow", elemEvalPow)
	SetEval("", "Mod", elemEvalMod)
	SetEval("", "BitShift", elemEvalBitShift)
	SetEval("", "BitwiseAnd", elemEvalBinary(elemBinary{i: func(a, b int64, _ ir.DType) (int64, error) { return a & b, nil }}))
	SetEval("", "BitwiseOr", elemEvalBinary(elemBinary{i: func(a, b int64, _ ir.DType) (int64, error) { return a | b, nil }}))
	SetEval("", "BitwiseXor", elemEvalBinary(elemBinary{i: func(a, b int64, _ ir.DType) (int64, error) { return a ^ b, nil }}))

	boolOnly := func(f func(a, b bool) bool) elemCompare {
		return elemCompare{bool: true, i: func(a, b int64, _ ir.DType) bool { return f(a != 0, b != 0) }}
	}
	SetEval("", "And", elemEvalCompare(boolOnly(func(a, b bool) bool { return a && b })))
	SetEval("", "Or", elemEvalCompare(boolOnly(func(a, b bool) bool { return a || b })))
	SetEval("", "Xor", elemEvalCompare(boolOnly(func(a, b bool) bool { return a != b })))
	SetEval("", "Equal", elemEvalCompare(elemCompare{
		f:    func(a, b float64) bool { return a == b },
		i:    func(a, b int64, _ ir.DType) bool { return a == b },
		bool: true,
		str:  func(a, b string) bool { return a == b },
	}))
	SetEval("", "Greater", elemEvalCompare(elemCompare{
		f: func(a, b float64) bool { return a > b },
		i: func(a, b int64, dt ir.DType) bool { return elemLess(dt, b, a) },
	}))
	SetEval("", "Less", elemEvalCompare(elemCompare{
		f: func(a, b float64) bool { return a < b },
		i: func(a, b int64, dt ir.DType) bool { return elemLess(dt, a, b) },
	}))
	SetEval("", "GreaterOrEqual", elemEvalCompare(elemCompare{
		f: func(a, b float64) bool { return a >= b },
		i: func(a, b int64, dt ir.DType) bool { return !elemLess(dt, a, b) },
	}))
	SetEval("", "LessOrEqual", elemEvalCompare(elemCompare{
		f: func(a, b float64) bool { return a <= b },
		i: func(a, b int64, dt ir.DType) bool { return !elemLess(dt, b, a) },
	}))
}

// elemUnary describes a one-input op: f on floats, i on integers (nil: not accepted).
type elemUnary struct {
	f func(x float64) float64
	i func(x int64, dt ir.DType) int64
}

// elemUnaryOps builds the unary op of a node (attributes and opset may shape the function).
var elemUnaryOps = map[string]func(n *ir.Node, opset int64) elemUnary{}

func elemEvalUnary(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := elemNeed(in, 0)
	if err != nil {
		return nil, err
	}
	op := elemUnaryOps[n.Op](n, ctx.Opset())
	dt := x.DType
	switch {
	case elemIsFloat(dt) && op.f != nil:
		out, err := ctx.NewTensor(dt, x.Shape)
		if err != nil {
			return nil, err
		}
		v := elemReadF(x)
		for k, e := range v {
			v[k] = op.f(e)
		}
		elemWriteF(out, v)
		return []*ir.Tensor{out}, nil
	case elemIsInt(dt) && op.i != nil:
		out, err := ctx.NewTensor(dt, x.Shape)
		if err != nil {
			return nil, err
		}
		v := elemReadI(x)
		for k, e := range v {
			v[k] = op.i(e, dt)
		}
		elemWriteI(out, v)
		return []*ir.Tensor{out}, nil
	}
	return nil, Unsupportedf("%s on element type %s", n.Op, dt)
}

// elemFloatFn wraps a float function that takes no attributes.
func elemFloatFn(f func(float64) float64) func(*ir.Node, int64) elemUnary {
	return func(*ir.Node, int64) elemUnary { return elemUnary{f: f} }
}

func elemSigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// elemSoftplus is ln(1+e^x) without overflow.
func elemSoftplus(x float64) float64 {
	if math.IsInf(x, 1) {
		return x
	}
	return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

func elemSign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return x // 0, -0 and NaN map to themselves (numpy gives 0 for -0; the sign bit is kept here)
}

func elemRegisterUnary() {
	u := elemUnaryOps
	u["Abs"] = func(*ir.Node, int64) elemUnary {
		return elemUnary{f: math.Abs, i: func(x int64, dt ir.DType) int64 {
			if x < 0 && dt != ir.Uint64 {
				return -x
			}
			return x
		}}
	}
	u["Neg"] = func(*ir.Node, int64) elemUnary {
		return elemUnary{f: func(x float64) float64 { return -x }, i: func(x int64, _ ir.DType) int64 { return -x }}
	}
	u["Sign"] = func(*ir.Node, int64) elemUnary {
		return elemUnary{f: func(x float64) float64 {
			if x == 0 {
				return 0
			}
			return elemSign(x)
		}, i: func(x int64, dt ir.DType) int64 {
			switch {
			case x == 0:
				return 0
			case x < 0 && dt != ir.Uint64:
				return -1
			}
			return 1
		}}
	}
	u["Relu"] = func(*ir.Node, int64) elemUnary {
		return elemUnary{f: func(x float64) float64 {
			if x < 0 {
				return 0
			}
			return x
		}, i: func(x int64, dt ir.DType) int64 {
			if x < 0 && dt != ir.Uint64 {
				return 0
			}
			return x
		}}
	}
	u["BitwiseNot"] = func(*ir.Node, int64) elemUnary { return elemUnary{i: func(x int64, _ ir.DType) int64 { return ^x }} }
	u["Reciprocal"] = elemFloatFn(func(x float64) float64 { return 1 / x })
	u["Floor"] = elemFloatFn(math.Floor)
	u["Ceil"] = elemFloatFn(math.Ceil)
	u["Round"] = elemFloatFn(math.RoundToEven)
	u["Sqrt"] = elemFloatFn(math.Sqrt)
	u["Exp"] = elemFloatFn(math.Exp)
	u["Log"] = elemFloatFn(math.Log)
	u["Erf"] = func(*ir.Node, int64) elemUnary {
		// integers are allowed too: erf computed in float64 (where it reaches +/-1 from |x| >= 6)
		// and truncated toward zero
		return elemUnary{f: math.Erf, i: func(x int64, dt ir.DType) int64 {
			xf := float64(x)
			if dt == ir.Uint64 {
				xf = float64(uint64(x))
			}
			return elemF64ToInt(math.Erf(xf), dt)
		}}
	}
	u["Sin"] = elemFloatFn(math.Sin)
	u["Cos"] = elemFloatFn(math.Cos)
	u["Tan"] = elemFloatFn(math.Tan)
	u["Asin"] = elemFloatFn(math.Asin)
	u["Acos"] = elemFloatFn(math.Acos)
	u["Atan"] = elemFloatFn(math.Atan)
	u["Sinh"] = elemFloatFn(math.Sinh)
	u["Cosh"] = elemFloatFn(math.Cosh)
	u["Asinh"] = elemFloatFn(math.Asinh)
	u["Acosh"] = elemFloatFn(math.Acosh)
	u["Atanh"] = elemFloatFn(math.Atanh)
	u["Tanh"] = elemFloatFn(math.Tanh)
	u["Sigmoid"] = elemFloatFn(elemSigmoid)
	u["Softplus"] = elemFloatFn(elemSoftplus)
	u["Softsign"] = elemFloatFn(func(x float64) float64 { return x / (1 + math.Abs(x)) })
	u["Mish"] = elemFloatFn(func(x float64) float64 { return x * math.Tanh(elemSoftplus(x)) })
	u["HardSwish"] = elemFloatFn(func(x float64) float64 { return x * math.Max(0, math.Min(1, x/6+0.5)) })
	u["LeakyRelu"] = func(n *ir.Node, _ int64) elemUnary {
		alpha := float64(n.AttrFloat("alpha", 0.01))
		return elemUnary{f: func(x float64) float64 {
			if x < 0 {
				return alpha * x
			}
			return x
		}}
	}
	u["Elu"] = func(n *ir.Node, _ int64) elemUnary {
		alpha := float64(n.AttrFloat("alpha", 1))
		return elemUnary{f: func(x float64) float64 {
			if x < 0 {
				return alpha * math.Expm1(x)
			}
			return x
		}}
	}
	u["Selu"] = func(n *ir.Node, opset int64) elemUnary {
		da, dg := float32(1.67326319217681884765625), float32(1.05070102214813232421875)
		if opset >= 1 && opset < 6 {
			da, dg = 1.6732, 1.0507
		}
		alpha, gamma := float64(n.AttrFloat("alpha", da)), float64(n.AttrFloat("gamma", dg))
		return elemUnary{f: func(x float64) float64 {
			if x > 0 {
				return gamma * x
			}
			return gamma * (alpha*math.Exp(x) - alpha)
		}}
	}
	u["Celu"] = func(n *ir.Node, _ int64) elemUnary {
		alpha := float64(n.AttrFloat("alpha", 1))
		return elemUnary{f: func(x float64) float64 {
			return math.Max(0, x) + math.Min(0, alpha*math.Expm1(x/alpha))
		}}
	}
	u["HardSigmoid"] = func(n *ir.Node, _ int64) elemUnary {
		alpha, beta := float64(n.AttrFloat("alpha", 0.2)), float64(n.AttrFloat("beta", 0.5))
		return elemUnary{f: func(x float64) float64 { return math.Max(0, math.Min(1, alpha*x+beta)) }}
	}
	u["ThresholdedRelu"] = func(n *ir.Node, _ int64) elemUnary {
		alpha := float64(n.AttrFloat("alpha", 1))
		return elemUnary{f: func(x float64) float64 {
			if x > alpha {
				return x
			}
			return 0
		}}
	}
	u["Shrink"] = func(n *ir.Node, _ int64) elemUnary {
		bias, lambd := float64(n.AttrFloat("bias", 0)), float64(n.AttrFloat("lambd", 0.5))
		f := func(x float64) float64 {
			switch {
			case x < -lambd:
				return x + bias
			case x > lambd:
				return x - bias
			}
			return 0
		}
		return elemUnary{f: f, i: func(x int64, dt ir.DType) int64 {
			xf := float64(x)
			if dt == ir.Uint64 {
				xf = float64(uint64(x))
			}
			return elemF64ToInt(f(xf), dt)
		}}
	}
	u["Gelu"] = func(n *ir.Node, _ int64) elemUnary {
		switch n.AttrString("approximate", "none") {
		case "none":
		case "tanh":
			c := math.Sqrt(2 / math.Pi)
			return elemUnary{f: func(x float64) float64 { return 0.5 * x * (1 + math.Tanh(c*(x+0.044715*x*x*x))) }}
		default:
			return elemUnary{} // refused as unsupported by elemEvalUnary (inference rejects it first)
		}
		return elemUnary{f: func(x float64) float64 { return 0.5 * x * (1 + math.Erf(x/math.Sqrt2)) }}
	}
	for name := range u {
		ir.MustOp("", name).Eval = Tensors(elemEvalUnary)
	}
}

// elemF64ToInt converts a float64 to an integer of type dt the way a C cast does (truncation;
// out-of-range values saturate through int64/uint64, then wrap to the width).
func elemF64ToInt(v float64, dt ir.DType) int64 {
	if dt == ir.Uint64 {
		return int64(f64ToUint64(v))
	}
	return f64ToInt64(v)
}

// elemEvalPredicate evaluates IsNaN, IsInf and Not (bool results).
func elemEvalPredicate(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := elemNeed(in, 0)
	if err != nil {
		return nil, err
	}
	out, err := ctx.NewTensor(ir.Bool, x.Shape)
	if err != nil {
		return nil, err
	}
	o := out.Raw
	switch n.Op {
	case "Not":
		if x.DType != ir.Bool {
			return nil, fmt.Errorf("Not on element type %s, want bool", x.DType)
		}
		for k, b := range x.Raw {
			o[k] = 1 - b&1
		}
		return []*ir.Tensor{out}, nil
	}
	if !elemIsFloat(x.DType) {
		return nil, Unsupportedf("%s on element type %s", n.Op, x.DType)
	}
	pos, neg := n.AttrInt("detect_positive", 1) != 0, n.AttrInt("detect_negative", 1) != 0
	for k, v := range elemReadF(x) {
		var b bool
		if n.Op == "IsNaN" {
			b = math.IsNaN(v)
		} else {
			b = (pos && math.IsInf(v, 1)) || (neg && math.IsInf(v, -1))
		}
		if b {
			o[k] = 1
		}
	}
	return []*ir.Tensor{out}, nil
}

// elemEvalWhere evaluates Where(cond, x, y) for any element type (strings included).
func elemEvalWhere(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	var ts [3]*ir.Tensor
	for i := range ts {
		t, err := elemNeed(in, i)
		if err != nil {
			return nil, err
		}
		ts[i] = t
	}
	c, x, y := ts[0], ts[1], ts[2]
	if c.DType != ir.Bool {
		return nil, fmt.Errorf("condition has element type %s, want bool", c.DType)
	}
	if x.DType != y.DType {
		return nil, fmt.Errorf("x and y have element types %s and %s; they must match", x.DType, y.DType)
	}
	if x.DType != ir.String && x.DType.Bits()%8 != 0 {
		return nil, Unsupportedf("Where on element type %s", x.DType)
	}
	shape, err := BroadcastShape(c.Shape, x.Shape, y.Shape)
	if err != nil {
		return nil, err
	}
	out, err := ctx.NewTensor(x.DType, shape)
	if err != nil {
		return nil, err
	}
	ic, ix, iy := BroadcastIndex(shape, c.Shape), BroadcastIndex(shape, x.Shape), BroadcastIndex(shape, y.Shape)
	if x.DType == ir.String {
		for k := range out.Strings {
			src := y.Strings[iy[k]]
			if c.Raw[ic[k]] != 0 {
				src = x.Strings[ix[k]]
			}
			out.Strings[k] = append([]byte{}, src...)
		}
		return []*ir.Tensor{out}, nil
	}
	sz := x.DType.Size()
	for k := range ic {
		if c.Raw[ic[k]] != 0 {
			copy(out.Raw[k*sz:(k+1)*sz], x.Raw[ix[k]*sz:])
		} else {
			copy(out.Raw[k*sz:(k+1)*sz], y.Raw[iy[k]*sz:])
		}
	}
	return []*ir.Tensor{out}, nil
}

// elemEvalVariadic evaluates Max, Min, Sum and Mean over all inputs with numpy broadcasting.
func elemEvalVariadic(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	var ts []*ir.Tensor
	var shapes [][]int64
	for i := range in {
		t, err := elemNeed(in, i)
		if err != nil {
			return nil, err
		}
		if len(ts) > 0 && t.DType != ts[0].DType {
			return nil, fmt.Errorf("input %d has element type %s but input 0 has %s; they must match", i, t.DType, ts[0].DType)
		}
		ts = append(ts, t)
		shapes = append(shapes, t.Shape)
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("%s needs at least one input", n.Op)
	}
	dt := ts[0].DType
	isF := elemIsFloat(dt)
	if !isF && !(elemIsInt(dt) && n.Op != "Mean") {
		return nil, Unsupportedf("%s on element type %s", n.Op, dt)
	}
	shape, err := BroadcastShape(shapes...)
	if err != nil {
		return nil, err
	}
	out, err := ctx.NewTensor(dt, shape)
	if err != nil {
		return nil, err
	}
	size := out.Len()
	if isF {
		acc := make([]float64, size)
		for j, t := range ts {
			v, idx := elemReadF(t), BroadcastIndex(shape, t.Shape)
			for k := range acc {
				e := v[idx[k]]
				switch {
				case j == 0:
					acc[k] = e
				case n.Op == "Sum" || n.Op == "Mean":
					acc[k] += e
				case math.IsNaN(acc[k]) || math.IsNaN(e):
					acc[k] = math.NaN()
				case n.Op == "Max":
					acc[k] = math.Max(acc[k], e)
				default:
					acc[k] = math.Min(acc[k], e)
				}
			}
		}
		if n.Op == "Mean" {
			for k := range acc {
				acc[k] /= float64(len(ts))
			}
		}
		elemWriteF(out, acc)
		return []*ir.Tensor{out}, nil
	}
	acc := make([]int64, size)
	for j, t := range ts {
		v, idx := elemReadI(t), BroadcastIndex(shape, t.Shape)
		for k := range acc {
			e := v[idx[k]]
			switch {
			case j == 0:
				acc[k] = e
			case n.Op == "Sum":
				acc[k] += e
			case n.Op == "Max":
				if elemLess(dt, acc[k], e) {
					acc[k] = e
				}
			default:
				if elemLess(dt, e, acc[k]) {
					acc[k] = e
				}
			}
		}
	}
	elemWriteI(out, acc)
	return []*ir.Tensor{out}, nil
}

// elemEvalClip evaluates Clip: bounds from attributes before opset 11 (default -/+FLT_MAX from
// opset 6, none before) and from optional scalar inputs after (default: no bound). With
// min > max every element becomes max.
func elemEvalClip(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := elemNeed(in, 0)
	if err != nil {
		return nil, err
	}
	dt := x.DType
	out, err := ctx.NewTensor(dt, x.Shape)
	if err != nil {
		return nil, err
	}
	bound := func(i int) (*ir.Tensor, error) {
		t := elemIn(in, i)
		if t == nil {
			return nil, nil
		}
		if t.DType != dt {
			return nil, fmt.Errorf("bound input %d has element type %s, want %s like the input", i, t.DType, dt)
		}
		if t.Len() != 1 {
			return nil, fmt.Errorf("bound input %d has shape %v, want a scalar", i, t.Shape)
		}
		return t, nil
	}
	if ctx.Opset() >= 1 && ctx.Opset() < 11 {
		if !elemIsFloat(dt) {
			return nil, Unsupportedf("Clip-%d on element type %s", ctx.Opset(), dt)
		}
		lo, hi := math.Inf(-1), math.Inf(1)
		if ctx.Opset() >= 6 {
			lo, hi = -math.MaxFloat32, math.MaxFloat32
		}
		lo, hi = float64(n.AttrFloat("min", float32(lo))), float64(n.AttrFloat("max", float32(hi)))
		v := elemReadF(x)
		for k, e := range v {
			v[k] = elemClipF(e, lo, hi)
		}
		elemWriteF(out, v)
		return []*ir.Tensor{out}, nil
	}
	tlo, err := bound(1)
	if err != nil {
		return nil, err
	}
	thi, err := bound(2)
	if err != nil {
		return nil, err
	}
	switch {
	case elemIsFloat(dt):
		lo, hi := math.Inf(-1), math.Inf(1)
		if tlo != nil {
			lo = elemReadF(tlo)[0]
		}
		if thi != nil {
			hi = elemReadF(thi)[0]
		}
		v := elemReadF(x)
		for k, e := range v {
			v[k] = elemClipF(e, lo, hi)
		}
		elemWriteF(out, v)
	case elemIsInt(dt):
		v := elemReadI(x)
		for k, e := range v {
			if tlo != nil {
				if lo := elemReadI(tlo)[0]; elemLess(dt, e, lo) {
					e = lo
				}
			}
			if thi != nil {
				if hi := elemReadI(thi)[0]; elemLess(dt, hi, e) {
					e = hi
				}
			}
			v[k] = e
		}
		elemWriteI(out, v)
	default:
		return nil, Unsupportedf("Clip on element type %s", dt)
	}
	return []*ir.Tensor{out}, nil
}

// elemClipF clamps e to [lo, hi] as min(max(e, lo), hi); NaN stays NaN.
func elemClipF(e, lo, hi float64) float64 {
	if e < lo {
		e = lo
	}
	if e > hi {
		e = hi
	}
	return e
}

// elemEvalPRelu evaluates PRelu: y = x < 0 ? slope*x : x with slope broadcast to x
// (unidirectionally from opset 7; before, a 1-element slope is shared and a slope of x's channel
// count applies per channel, axis 1).
func elemEvalPRelu(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := elemNeed(in, 0)
	if err != nil {
		return nil, err
	}
	s, err := elemNeed(in, 1)
	if err != nil {
		return nil, err
	}
	if x.DType != s.DType {
		return nil, fmt.Errorf("x and slope have element types %s and %s; they must match", x.DType, s.DType)
	}
	dt := x.DType
	if !elemIsFloat(dt) && !elemIsInt(dt) {
		return nil, Unsupportedf("PRelu on element type %s", dt)
	}
	sShape := s.Shape
	if ctx.Opset() >= 1 && ctx.Opset() < 7 {
		switch {
		case s.Len() == 1:
			sShape = nil
		case len(x.Shape) >= 2 && len(s.Shape) == 1 && s.Shape[0] == x.Shape[1]:
			sShape = make([]int64, len(x.Shape)-1)
			for i := range sShape {
				sShape[i] = 1
			}
			sShape[0] = x.Shape[1]
		}
	}
	shape, err := BroadcastShape(x.Shape, sShape)
	if err != nil || !elemSameShape(shape, x.Shape) {
		return nil, fmt.Errorf("slope of shape %v does not broadcast to x of shape %v", s.Shape, x.Shape)
	}
	idx := BroadcastIndex(x.Shape, sShape)
	out, err := ctx.NewTensor(dt, x.Shape)
	if err != nil {
		return nil, err
	}
	if elemIsFloat(dt) {
		v, sl := elemReadF(x), elemReadF(s)
		for k, e := range v {
			if e < 0 {
				v[k] = sl[idx[k]] * e
			}
		}
		elemWriteF(out, v)
		return []*ir.Tensor{out}, nil
	}
	v, sl := elemReadI(x), elemReadI(s)
	for k, e := range v {
		if e < 0 && dt != ir.Uint64 {
			v[k] = sl[idx[k]] * e
		}
	}
	elemWriteI(out, v)
	return []*ir.Tensor{out}, nil
}

// elemF8Format describes one of ONNX's 8-bit float formats.
type elemF8Format struct {
	mbits, bias int
	max         float64
	inf         bool // has infinities (E5M2)
	uz          bool // "FNUZ": no negative zero, the only NaN is 0x80
}

var elemF8Formats = map[ir.DType]elemF8Format{
	ir.Float8E4M3FN:   {mbits: 3, bias: 7, max: 448},
	ir.Float8E4M3FNUZ: {mbits: 3, bias: 8, max: 240, uz: true},
	ir.Float8E5M2:     {mbits: 2, bias: 15, max: 57344, inf: true},
	ir.Float8E5M2FNUZ: {mbits: 2, bias: 16, max: 57344, uz: true},
}

// elemFromF8 decodes an 8-bit float.
func elemFromF8(b byte, f elemF8Format) float64 {
	ebits := 7 - f.mbits
	sign := 1.0
	if b&0x80 != 0 {
		sign = -1
	}
	e := int(b>>f.mbits) & (1<<ebits - 1)
	m := float64(b & (1<<f.mbits - 1))
	switch {
	case f.uz && b == 0x80:
		return math.NaN()
	case f.inf && e == 1<<ebits-1:
		if m == 0 {
			return sign * math.Inf(1)
		}
		return math.NaN()
	case !f.inf && !f.uz && b&0x7F == 0x7F:
		return math.NaN()
	case e == 0:
		return sign * math.Ldexp(m, 1-f.bias-f.mbits)
	}
	return sign * math.Ldexp(1+m/float64(int(1)<<f.mbits), e-f.bias)
}

// elemToF8 encodes v as an 8-bit float with round-to-nearest-even, following the tables of Cast-19.
// With saturate, out-of-range values (and infinities, except in the FNUZ formats where they
// become NaN) become the largest finite value of their sign; without, they become infinity (E5M2)
// or NaN (the formats without infinities).
func elemToF8(v float64, f elemF8Format, saturate bool) byte {
	var sign byte
	if math.Signbit(v) {
		sign = 0x80
	}
	nan := byte(0x7F)
	if f.uz {
		nan = 0x80
	}
	encode := func(a float64) byte { // a >= 0, exactly representable
		if a == 0 {
			if f.uz {
				return 0
			}
			return sign
		}
		_, exp := math.Frexp(a)
		e := exp - 1
		if e < 1-f.bias {
			return sign | byte(a/math.Ldexp(1, 1-f.bias-f.mbits))
		}
		m := (a/math.Ldexp(1, e) - 1) * float64(int(1)<<f.mbits)
		return sign | byte(e+f.bias)<<f.mbits | byte(m)
	}
	overflow := func() byte {
		switch {
		case saturate:
			return encode(f.max)
		case f.inf:
			return sign | 0x7C
		}
		return nan
	}
	switch {
	case math.IsNaN(v):
		return nan
	case math.IsInf(v, 0) && f.uz:
		return nan // the FNUZ formats map infinities to NaN even when saturating
	case math.IsInf(v, 0):
		return overflow()
	case v == 0:
		return encode(0)
	}
	r := math.Abs(elemRoundTo(v, f.mbits, 1-f.bias))
	if r > f.max {
		return overflow()
	}
	return encode(r)
}

// elemPyFloat formats v like Python's repr of a float of the given format (see elemShortest) (the shortest digits
// that round-trip; positional for 1e-4 <= |v| < 1e16, else scientific), as ONNX's Cast to string
// does.
func elemPyFloat(v float64, bits int) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	s := elemShortest(v, bits) // [-]d[.ddd]e±XX
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, expS, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expS)
	digits := strings.Replace(mant, ".", "", 1)
	var out string
	if exp >= -4 && exp < 16 {
		if exp >= 0 {
			for len(digits) < exp+1 {
				digits += "0"
			}
			frac := digits[exp+1:]
			if frac == "" {
				frac = "0"
			}
			out = digits[:exp+1] + "." + frac
		} else {
			out = "0." + strings.Repeat("0", -exp-1) + digits
		}
	} else {
		out = digits[:1]
		if len(digits) > 1 {
			out += "." + digits[1:]
		}
		es := "+"
		if exp < 0 {
			es, exp = "-", -exp
		}
		out += fmt.Sprintf("e%s%02d", es, exp)
	}
	if neg {
		out = "-" + out
	}
	return out
}

// elemShortest formats v in %e form with the fewest digits that read back to the same value of
// the source format: float64 or float32 (bits 64/32), or float16/bfloat16 (bits 16/-16).
func elemShortest(v float64, bits int) string {
	var same func(w float64) bool
	switch bits {
	case 64, 32:
		return strconv.FormatFloat(v, 'e', -1, bits)
	case 16:
		same = func(w float64) bool { return elemToFloat16(w) == elemToFloat16(v) }
	default:
		same = func(w float64) bool { return elemToBFloat16(w) == elemToBFloat16(v) }
	}
	for p := 0; p < 17; p++ {
		s := strconv.FormatFloat(v, 'e', p, 64)
		if w, err := strconv.ParseFloat(s, 64); err == nil && same(w) {
			return s
		}
	}
	return strconv.FormatFloat(v, 'e', -1, 64)
}

// elemCastable reports whether Cast handles dt as a source or target.
func elemCastable(dt ir.DType) bool {
	_, f8 := elemF8Formats[dt]
	return elemIsFloat(dt) || elemIsInt(dt) || dt == ir.Bool || dt == ir.String || f8 || elemIs4Bit(dt)
}

// elemIs4Bit reports whether dt packs two elements per byte (int4, uint4, float4e2m1).
func elemIs4Bit(dt ir.DType) bool { return dt == ir.Int4 || dt == ir.Uint4 || dt == ir.Float4E2M1 }

// elemNibble returns 4-bit element i (low nibble first).
func elemNibble(raw []byte, i int) byte { return raw[i/2] >> (4 * uint(i%2)) & 0xF }

// elemSetNibble stores 4-bit element i.
func elemSetNibble(raw []byte, i int, v byte) {
	sh := 4 * uint(i%2)
	raw[i/2] = raw[i/2]&^(0xF<<sh) | (v&0xF)<<sh
}

// elemFromF4 decodes a float4 E2M1 nibble: S.EE.M with bias 1, no infinities or NaN.
func elemFromF4(b byte) float64 {
	v := [8]float64{0, 0.5, 1, 1.5, 2, 3, 4, 6}[b&7]
	if b&8 != 0 {
		return -v
	}
	return v
}

// elemToF4 encodes float4 E2M1 as the ONNX float4 note specifies: round to nearest even within
// [-6, 6], saturate beyond (infinities included), NaN to 6.
func elemToF4(v float64) byte {
	var sign byte
	if math.Signbit(v) {
		sign = 8
	}
	switch {
	case math.IsNaN(v):
		return 7
	case v == 0:
		return sign
	}
	a := math.Abs(v)
	if !math.IsInf(a, 1) {
		a = math.Abs(elemRoundTo(v, 1, 0))
	}
	if a > 6 {
		return sign | 7
	}
	for code, w := range [8]float64{0, 0.5, 1, 1.5, 2, 3, 4, 6} {
		if w == a {
			return sign | byte(code)
		}
	}
	return sign // unreachable: a is a representable magnitude
}

// elemTo4BitInt converts to int4/uint4 as the ONNX int4 note specifies: round to nearest even,
// then saturate to the type's range (NaN gives 0).
func elemTo4BitInt(v float64, signed bool) byte {
	lo, hi := 0.0, 15.0
	if signed {
		lo, hi = -8, 7
	}
	if math.IsNaN(v) {
		return 0
	}
	r := math.Max(lo, math.Min(hi, math.RoundToEven(v)))
	return byte(int8(r)) & 0xF
}

// elemCast converts x to element type to. saturate applies to float8 targets.
func elemCast(ctx ir.EvalContext, x *ir.Tensor, to ir.DType, saturate bool) (*ir.Tensor, error) {
	if !elemCastable(x.DType) || !elemCastable(to) {
		return nil, Unsupportedf("Cast from %s to %s", x.DType, to)
	}
	out, err := ctx.NewTensor(to, x.Shape)
	if err != nil {
		return nil, err
	}
	n := x.Len()
	if x.DType == to {
		copy(out.Raw, x.Raw)
		for i, s := range x.Strings {
			out.Strings[i] = append([]byte{}, s...)
		}
		return out, nil
	}
	// Decode the source: floats (float8 included) to fv, integers and bools to iv, strings parsed
	// according to the target.
	var fv []float64
	var iv []int64
	srcF8, isF8 := elemF8Formats[x.DType]
	switch {
	case isF8:
		fv = make([]float64, n)
		for i, b := range x.Raw {
			fv[i] = elemFromF8(b, srcF8)
		}
	case x.DType == ir.Float4E2M1:
		fv = make([]float64, n)
		for i := range fv {
			fv[i] = elemFromF4(elemNibble(x.Raw, i))
		}
	case x.DType == ir.Int4 || x.DType == ir.Uint4:
		iv = make([]int64, n)
		for i := range iv {
			b := elemNibble(x.Raw, i)
			if x.DType == ir.Int4 {
				iv[i] = int64(int8(b<<4) >> 4)
			} else {
				iv[i] = int64(b)
			}
		}
	case elemIsFloat(x.DType):
		fv = elemReadF(x)
	case x.DType == ir.String:
		if to == ir.Bool || elemIsInt(to) || to == ir.Int4 || to == ir.Uint4 {
			iv = make([]int64, n)
			for i, s := range x.Strings {
				v, err := elemParseInt(string(s), to)
				if err != nil {
					return nil, err
				}
				iv[i] = v
			}
		} else {
			fv = make([]float64, n)
			bits := 64
			if to == ir.Float32 {
				bits = 32 // parse straight to float32 so the value is rounded once
			}
			for i, s := range x.Strings {
				v, err := strconv.ParseFloat(strings.TrimSpace(string(s)), bits)
				if err != nil && !errors.Is(err, strconv.ErrRange) {
					return nil, fmt.Errorf("cannot cast string %q to %s", s, to)
				}
				fv[i] = v
			}
		}
	default:
		iv = elemReadI(x)
	}
	// Encode into the target.
	dstF8, toF8 := elemF8Formats[to]
	switch {
	case to == ir.String:
		for i := range out.Strings {
			var s string
			switch {
			case fv != nil:
				bits := map[ir.DType]int{ir.Float64: 64, ir.Float16: 16, ir.BFloat16: -16}[x.DType]
				if bits == 0 {
					bits = 32 // float32, and float8 values (all exact in float32)
				}
				s = elemPyFloat(fv[i], bits)
			case x.DType == ir.Bool:
				s = map[bool]string{false: "False", true: "True"}[iv[i] != 0]
			case x.DType == ir.Uint64:
				s = strconv.FormatUint(uint64(iv[i]), 10)
			default:
				s = strconv.FormatInt(iv[i], 10)
			}
			out.Strings[i] = []byte(s)
		}
	case to == ir.Int4 || to == ir.Uint4:
		for i := 0; i < n; i++ {
			var v float64
			switch {
			case fv != nil:
				v = fv[i]
			case x.DType == ir.Uint64:
				v = float64(uint64(iv[i]))
			default:
				v = float64(iv[i]) // exact enough: anything past 2^53 saturates anyway
			}
			elemSetNibble(out.Raw, i, elemTo4BitInt(v, to == ir.Int4))
		}
	case to == ir.Float4E2M1:
		for i := 0; i < n; i++ {
			v := 0.0
			switch {
			case fv != nil:
				v = fv[i]
			case x.DType == ir.Uint64:
				v = float64(uint64(iv[i]))
			default:
				v = float64(iv[i])
			}
			elemSetNibble(out.Raw, i, elemToF4(v))
		}
	case fv != nil && toF8:
		for i, v := range fv {
			out.Raw[i] = elemToF8(v, dstF8, saturate)
		}
	case fv != nil && elemIsFloat(to):
		elemWriteF(out, fv)
	case fv != nil && to == ir.Bool:
		for i, v := range fv {
			if v != 0 {
				out.Raw[i] = 1
			}
		}
	case fv != nil: // float to integer: truncation toward zero
		iv = make([]int64, n)
		for i, v := range fv {
			iv[i] = elemF64ToInt(v, to)
		}
		elemWriteI(out, iv)
	case elemIsInt(to) || to == ir.Bool:
		elemWriteI(out, iv)
	default: // integer to float
		fv = make([]float64, n)
		for i, v := range iv {
			if x.DType == ir.Uint64 {
				fv[i] = float64(uint64(v))
			} else {
				fv[i] = float64(v)
			}
		}
		switch {
		case to == ir.Float32: // convert directly so 64-bit integers are rounded once
			d := out.Float32s()
			for i, v := range iv {
				if x.DType == ir.Uint64 {
					d[i] = float32(uint64(v))
				} else {
					d[i] = float32(v)
				}
			}
		case toF8:
			for i, v := range fv {
				out.Raw[i] = elemToF8(v, dstF8, saturate)
			}
		default:
			elemWriteF(out, fv)
		}
	}
	return out, nil
}

// elemParseInt parses a string for a cast to an integer or bool type: an integer literal, or a
// float literal truncated toward zero; "true"/"false" for bool.
func elemParseInt(s string, to ir.DType) (int64, error) {
	s = strings.TrimSpace(s)
	if to == ir.Bool {
		switch strings.ToLower(s) {
		case "true":
			return 1, nil
		case "false":
			return 0, nil
		}
	}
	if to == ir.Uint64 {
		if v, err := strconv.ParseUint(s, 10, 64); err == nil {
			return int64(v), nil
		}
	} else if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return v, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("cannot cast string %q to %s", s, to)
	}
	if to == ir.Bool {
		if f != 0 {
			return 1, nil
		}
		return 0, nil
	}
	return elemF64ToInt(f, to), nil
}

func elemEvalCast(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := elemNeed(in, 0)
	if err != nil {
		return nil, err
	}
	var to ir.DType
	if n.Op == "CastLike" {
		t, err := elemNeed(in, 1)
		if err != nil {
			return nil, err
		}
		to = t.DType
	} else {
		a := n.Attr("to")
		if a == nil || a.Kind != ir.AttrInt || a.I <= 0 || a.I > 255 || !ir.DType(a.I).Valid() {
			return nil, fmt.Errorf("attribute to is missing or not a known element type")
		}
		to = ir.DType(a.I)
	}
	out, err := elemCast(ctx, x, to, n.AttrInt("saturate", 1) != 0)
	if err != nil {
		return nil, err
	}
	return []*ir.Tensor{out}, nil
}

func init() {
	elemRegisterBinary()
	elemRegisterUnary()
	for _, op := range []string{"IsNaN", "IsInf", "Not"} {
		SetEval("", op, elemEvalPredicate)
	}
	SetEval("", "Where", elemEvalWhere)
	for _, op := range []string{"Max", "Min", "Sum", "Mean"} {
		SetEval("", op, elemEvalVariadic)
	}
	SetEval("", "Clip", elemEvalClip)
	SetEval("", "PRelu", elemEvalPRelu)
	SetEval("", "Cast", elemEvalCast)
	SetEval("", "CastLike", elemEvalCast)
}
