package ref

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/ir"
)

// elemTArg is one input of a test node: a graph input, a constant, or absent (nil t).
type elemTArg struct {
	t     *ir.Tensor
	konst bool
	typ   *ir.Type // declared type of a graph input (default: the tensor's concrete type)
}

func elemTIn(t *ir.Tensor) elemTArg    { return elemTArg{t: t} }
func elemTConst(t *ir.Tensor) elemTArg { return elemTArg{t: t, konst: true} }

// elemTBuild builds a one-node graph at the given opset.
func elemTBuild(opset int64, op string, args []elemTArg, attrs ...ir.Attr) (*ir.Graph, map[string]ir.Datum, error) {
	b := ir.NewBuilder("t", map[string]int64{"": opset})
	feeds := map[string]ir.Datum{}
	var ins []*ir.Value
	for i, a := range args {
		switch {
		case a.t == nil:
			ins = append(ins, nil)
		case a.konst:
			ins = append(ins, b.Const(fmt.Sprintf("k%d", i), a.t))
		default:
			typ := a.t.Type()
			if a.typ != nil {
				typ = *a.typ
			}
			v := b.Input(fmt.Sprintf("x%d", i), typ)
			feeds[v.Name] = a.t
			ins = append(ins, v)
		}
	}
	b.Output(b.Op(op, ins, attrs...))
	g, err := b.Graph()
	return g, feeds, err
}

// elemTRunErr runs op and returns its output or the first error (build or run).
func elemTRunErr(opset int64, op string, args []elemTArg, attrs ...ir.Attr) (*ir.Tensor, error) {
	g, feeds, err := elemTBuild(opset, op, args, attrs...)
	if err != nil {
		return nil, err
	}
	outs, err := Run(g, feeds, Options{})
	if err != nil {
		return nil, err
	}
	return outs[0].(*ir.Tensor), nil
}

func elemTRun(t *testing.T, opset int64, op string, args []elemTArg, attrs ...ir.Attr) *ir.Tensor {
	t.Helper()
	out, err := elemTRunErr(opset, op, args, attrs...)
	require.NoError(t, err)
	return out
}

// elemTIns wraps tensors as graph inputs.
func elemTIns(ts ...*ir.Tensor) []elemTArg {
	as := make([]elemTArg, len(ts))
	for i, t := range ts {
		as[i] = elemTIn(t)
	}
	return as
}

func elemF32(shape []int64, v ...float32) *ir.Tensor { return ir.FromFloat32s(shape, v) }
func elemF64(shape []int64, v ...float64) *ir.Tensor { return ir.FromFloat64s(shape, v) }
func elemI64(shape []int64, v ...int64) *ir.Tensor   { return ir.FromInt64s(shape, v) }

// elemTRaw builds a tensor of any byte-aligned dtype from little-endian element words.
func elemTRaw(dt ir.DType, shape []int64, words ...uint64) *ir.Tensor {
	t := ir.MustTensor(dt, shape...)
	sz := dt.Size()
	for i, w := range words {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], w)
		copy(t.Raw[i*sz:(i+1)*sz], b[:sz])
	}
	return t
}

// elemTWords reads the little-endian element words of a tensor.
func elemTWords(t *ir.Tensor) []uint64 {
	sz := t.DType.Size()
	out := make([]uint64, t.Len())
	for i := range out {
		var b [8]byte
		copy(b[:], t.Raw[i*sz:(i+1)*sz])
		out[i] = binary.LittleEndian.Uint64(b[:])
	}
	return out
}

func elemTFloats(t *ir.Tensor) []float64 {
	out := make([]float64, t.Len())
	for i := range out {
		out[i] = t.Float64At(i)
	}
	return out
}

func elemTNear(t *testing.T, want, got []float64, tol float64) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		if math.IsNaN(want[i]) {
			require.True(t, math.IsNaN(got[i]), "element %d: got %v, want NaN", i, got[i])
			continue
		}
		if math.IsInf(want[i], 0) {
			require.Equal(t, want[i], got[i], "element %d", i)
			continue
		}
		require.InDelta(t, want[i], got[i], tol*math.Max(1, math.Abs(want[i])), "element %d: got %v, want %v", i, got[i], want[i])
	}
}

func TestElemArithmeticBroadcast(t *testing.T) {
	a := elemF32([]int64{2, 3}, 1, 2, 3, 4, 5, 6)
	b := elemF32([]int64{3}, 10, 20, 40)
	want := map[string][]float64{
		"Add": {11, 22, 43, 14, 25, 46},
		"Sub": {-9, -18, -37, -6, -15, -34},
		"Mul": {10, 40, 120, 40, 100, 240},
		"Div": {0.1, 0.1, 0.075, 0.4, 0.25, 0.15},
	}
	for op, w := range want {
		out := elemTRun(t, 17, op, elemTIns(a, b))
		require.Equal(t, []int64{2, 3}, out.Shape, op)
		require.Equal(t, ir.Float32, out.DType)
		elemTNear(t, w, elemTFloats(out), 1e-7)
	}
	// [2,1] x [3] -> [2,3]
	out := elemTRun(t, 17, "Add", elemTIns(elemF64([]int64{2, 1}, 1, 2), elemF64([]int64{3}, 10, 20, 30)))
	require.Equal(t, []int64{2, 3}, out.Shape)
	require.Equal(t, []float64{11, 21, 31, 12, 22, 32}, out.Float64s())
}

func TestElemIntegerArithmetic(t *testing.T) {
	// int8 wraps around
	a := elemTRaw(ir.Int8, []int64{3}, 100, 0x80, 7)                                      // 100, -128, 7
	b := elemTRaw(ir.Int8, []int64{3}, 100, 0xFF, 0xFE)                                   // 100, -1, -2
	require.Equal(t, []int8{-56, 127, 5}, elemTRun(t, 14, "Add", elemTIns(a, b)).Int8s()) // -128-1 wraps to 127
	require.Equal(t, []int8{16, -128, -14}, elemTRun(t, 14, "Mul", elemTIns(a, b)).Int8s())
	// division truncates toward zero
	out := elemTRun(t, 14, "Div", elemTIns(elemI64([]int64{4}, 7, -7, 7, -7), elemI64([]int64{4}, 2, 2, -2, -2)))
	require.Equal(t, []int64{3, -3, -3, 3}, out.Int64s())
	// uint64 beyond int64 range divides unsigned
	u := elemTRaw(ir.Uint64, []int64{1}, 1<<63+10)
	out = elemTRun(t, 14, "Div", elemTIns(u, elemTRaw(ir.Uint64, []int64{1}, 2)))
	require.Equal(t, []uint64{1<<62 + 5}, elemTWords(out))
	// int64 is exact beyond 2^53
	out = elemTRun(t, 14, "Add", elemTIns(elemI64(nil, 1<<60+1), elemI64(nil, 1<<60)))
	require.Equal(t, []int64{1<<61 + 1}, out.Int64s())
	_, err := elemTRunErr(14, "Div", elemTIns(elemI64(nil, 1), elemI64(nil, 0)))
	require.ErrorContains(t, err, "division by zero")
}

func TestElemFloat16RoundsOnce(t *testing.T) {
	// 1 + 2^-11 + 2^-40 lies just above the midpoint of 1 and 1+2^-10: a single rounding gives
	// 1+2^-10 (0x3C01); rounding through float32 first would land on the tie and give 1.0.
	require.Equal(t, uint16(0x3C01), elemToFloat16(1+math.Ldexp(1, -11)+math.Ldexp(1, -40)))
	require.Equal(t, uint16(0x3C00), elemToFloat16(1+math.Ldexp(1, -11))) // tie to even
	require.Equal(t, uint16(0x7BFF), elemToFloat16(65519))                // below the overflow threshold
	require.Equal(t, uint16(0x7C00), elemToFloat16(65520))
	require.Equal(t, uint16(0x0001), elemToFloat16(math.Ldexp(1, -24))) // smallest subnormal
	require.Equal(t, uint16(0x0000), elemToFloat16(math.Ldexp(1, -26)))
	require.Equal(t, uint16(0x3F80), elemToBFloat16(1+math.Ldexp(1, -8)))                    // tie to even
	require.Equal(t, uint16(0x3F81), elemToBFloat16(1+math.Ldexp(1, -8)+math.Ldexp(1, -30))) // above the tie
	// float16 Add end to end: 2048 + 1 is a tie between 2048 and 2050 (spacing 2) -> 2048
	a := elemTRaw(ir.Float16, []int64{2}, 0x6800, 0x6800) // 2048, 2048
	b := elemTRaw(ir.Float16, []int64{2}, 0x3C00, 0x4200) // 1, 3
	out := elemTRun(t, 17, "Add", elemTIns(a, b))
	require.Equal(t, []uint64{0x6800, 0x6802}, elemTWords(out)) // 2048, 2052 (2051 ties up to even 2052)
}

func TestElemLegacyBroadcast(t *testing.T) {
	a := ir.MustTensor(ir.Float32, 2, 3, 2)
	av := a.Float32s()
	for i := range av {
		av[i] = float32(i)
	}
	b := elemF32([]int64{3}, 100, 200, 300)
	out := elemTRun(t, 6, "Add", elemTIns(a, b), ir.AInt("broadcast", 1), ir.AInt("axis", 1))
	require.Equal(t, []int64{2, 3, 2}, out.Shape)
	got := out.Float32s()
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 2; k++ {
				idx := i*6 + j*2 + k
				require.Equal(t, float32(idx)+float32(100*(j+1)), got[idx])
			}
		}
	}
	// default axis aligns b with a's trailing dims
	out = elemTRun(t, 6, "Mul", elemTIns(a, elemF32([]int64{2}, 1, -1)), ir.AInt("broadcast", 1))
	require.Equal(t, float32(-1), out.Float32s()[1])
	require.Equal(t, float32(2), out.Float32s()[2])
	// without broadcast=1 shapes must match exactly
	_, err := elemTRunErr(6, "Add", elemTIns(a, b))
	require.ErrorContains(t, err, "must match")
	// b does not fit at axis 2
	_, err = elemTRunErr(6, "Add", elemTIns(a, b), ir.AInt("broadcast", 1), ir.AInt("axis", 2))
	require.Error(t, err)
}

func TestElemComparisonsAndLogic(t *testing.T) {
	nan := float32(math.NaN())
	a := elemF32([]int64{4}, 1, 2, 3, nan)
	b := elemF32([]int64{4}, 2, 2, 2, 2)
	bools := func(out *ir.Tensor) []bool { return out.Bools() }
	require.Equal(t, []bool{false, false, true, false}, bools(elemTRun(t, 13, "Greater", elemTIns(a, b))))
	require.Equal(t, []bool{true, false, false, false}, bools(elemTRun(t, 13, "Less", elemTIns(a, b))))
	require.Equal(t, []bool{false, true, true, false}, bools(elemTRun(t, 16, "GreaterOrEqual", elemTIns(a, b))))
	require.Equal(t, []bool{true, true, false, false}, bools(elemTRun(t, 16, "LessOrEqual", elemTIns(a, b))))
	require.Equal(t, []bool{false, true, false, false}, bools(elemTRun(t, 13, "Equal", elemTIns(a, b))))
	// uint64 compares unsigned
	u := elemTRaw(ir.Uint64, []int64{2}, 1<<63, 5)
	v := elemTRaw(ir.Uint64, []int64{2}, 1, 6)
	require.Equal(t, []bool{true, false}, bools(elemTRun(t, 13, "Greater", elemTIns(u, v))))
	// strings (Equal)
	s1 := &ir.Tensor{DType: ir.String, Shape: []int64{2}, Strings: [][]byte{[]byte("a"), []byte("b")}}
	s2 := &ir.Tensor{DType: ir.String, Shape: []int64{1}, Strings: [][]byte{[]byte("b")}}
	require.Equal(t, []bool{false, true}, bools(elemTRun(t, 19, "Equal", elemTIns(s1, s2))))
	// logic with broadcasting
	p := ir.FromBools([]int64{2, 2}, []bool{true, true, false, false})
	q := ir.FromBools([]int64{2}, []bool{true, false})
	require.Equal(t, []bool{true, false, false, false}, bools(elemTRun(t, 7, "And", elemTIns(p, q))))
	require.Equal(t, []bool{true, true, true, false}, bools(elemTRun(t, 7, "Or", elemTIns(p, q))))
	require.Equal(t, []bool{false, true, true, false}, bools(elemTRun(t, 7, "Xor", elemTIns(p, q))))
	require.Equal(t, []bool{false, false, true, true}, bools(elemTRun(t, 1, "Not", elemTIns(p))))
	// And on floats is refused
	_, err := elemTRunErr(7, "And", elemTIns(a, b))
	require.Error(t, err)
}

func TestElemPowModShift(t *testing.T) {
	out := elemTRun(t, 15, "Pow", elemTIns(elemF32([]int64{3}, 2, 4, -2), elemF32([]int64{3}, 3, 0.5, 2)))
	require.Equal(t, []float32{8, 2, 4}, out.Float32s())
	// integer base, integer exponent: exact
	out = elemTRun(t, 15, "Pow", elemTIns(elemI64([]int64{3}, 3, -2, 10), elemI64([]int64{3}, 4, 3, 15)))
	require.Equal(t, []int64{81, -8, 1000000000000000}, out.Int64s())
	// integer base, float exponent: computed in float, truncated to the base type
	out = elemTRun(t, 15, "Pow", elemTIns(elemI64([]int64{2}, 2, 9), elemF32([]int64{2}, 0.5, 0.5)))
	require.Equal(t, ir.Int64, out.DType)
	require.Equal(t, []int64{1, 3}, out.Int64s())
	// unsigned exponents beyond 2^63 keep their parity: (-1)^(2^64-1) = -1, 3^(2^63) wraps to 1 mod 2^64
	out = elemTRun(t, 15, "Pow", elemTIns(elemI64([]int64{2}, -1, 3), elemTRaw(ir.Uint64, []int64{2}, math.MaxUint64, 1<<63)))
	require.Equal(t, []int64{-1, 1}, out.Int64s())
	// Mod: fmod=0 takes the divisor's sign, fmod=1 the dividend's
	x, y := elemI64([]int64{4}, -4, 4, -4, 5), elemI64([]int64{4}, 3, -3, -3, 5)
	require.Equal(t, []int64{2, -2, -1, 0}, elemTRun(t, 13, "Mod", elemTIns(x, y)).Int64s())
	require.Equal(t, []int64{-1, 1, -1, 0}, elemTRun(t, 13, "Mod", elemTIns(x, y), ir.AInt("fmod", 1)).Int64s())
	out = elemTRun(t, 13, "Mod", elemTIns(elemF64([]int64{2}, -4.5, 7.5), elemF64([]int64{2}, 2, -2)), ir.AInt("fmod", 1))
	require.Equal(t, []float64{-0.5, 1.5}, out.Float64s())
	_, err := elemTRunErr(13, "Mod", elemTIns(elemF64(nil, 1), elemF64(nil, 2)))
	require.ErrorContains(t, err, "fmod=1")
	// BitShift on uint8
	a := elemTRaw(ir.Uint8, []int64{3}, 1, 0x81, 16)
	s := elemTRaw(ir.Uint8, []int64{3}, 3, 1, 9)
	require.Equal(t, []uint64{8, 2, 0}, elemTWords(elemTRun(t, 11, "BitShift", elemTIns(a, s), ir.AString("direction", "LEFT"))))
	require.Equal(t, []uint64{0, 0x40, 0}, elemTWords(elemTRun(t, 11, "BitShift", elemTIns(a, s), ir.AString("direction", "RIGHT"))))
	// bitwise ops
	p, q := elemTRaw(ir.Int16, []int64{2}, 0x0F0F, 0xFFFF), elemTRaw(ir.Int16, []int64{2}, 0x00FF, 0x1234)
	require.Equal(t, []uint64{0x000F, 0x1234}, elemTWords(elemTRun(t, 18, "BitwiseAnd", elemTIns(p, q))))
	require.Equal(t, []uint64{0x0FFF, 0xFFFF}, elemTWords(elemTRun(t, 18, "BitwiseOr", elemTIns(p, q))))
	require.Equal(t, []uint64{0x0FF0, 0xEDCB}, elemTWords(elemTRun(t, 18, "BitwiseXor", elemTIns(p, q))))
	require.Equal(t, []uint64{0xF0F0, 0x0000}, elemTWords(elemTRun(t, 18, "BitwiseNot", elemTIns(p))))
}

func TestElemUnaryValues(t *testing.T) {
	x := elemF64([]int64{3}, -1, 0, 1)
	// reference values from standard tables (not from the functions under test)
	cases := []struct {
		op    string
		attrs []ir.Attr
		want  []float64
	}{
		{"Abs", nil, []float64{1, 0, 1}},
		{"Neg", nil, []float64{1, 0, -1}},
		{"Sign", nil, []float64{-1, 0, 1}},
		{"Exp", nil, []float64{0.36787944117144233, 1, 2.718281828459045}},
		{"Erf", nil, []float64{-0.8427007929497149, 0, 0.8427007929497149}},
		{"Tanh", nil, []float64{-0.7615941559557649, 0, 0.7615941559557649}},
		{"Sigmoid", nil, []float64{0.2689414213699951, 0.5, 0.7310585786300049}},
		{"Softplus", nil, []float64{0.31326168751822286, 0.6931471805599453, 1.3132616875182228}},
		{"Softsign", nil, []float64{-0.5, 0, 0.5}},
		{"Relu", nil, []float64{0, 0, 1}},
		{"LeakyRelu", []ir.Attr{ir.AFloat("alpha", 0.5)}, []float64{-0.5, 0, 1}},
		{"Elu", nil, []float64{-0.6321205588285577, 0, 1}},
		{"Selu", nil, []float64{-1.1113307378125625, 0, 1.0507009873554805}},
		{"Celu", []ir.Attr{ir.AFloat("alpha", 2)}, []float64{-0.7869386805747332, 0, 1}},
		{"HardSigmoid", nil, []float64{0.3, 0.5, 0.7}},
		{"HardSwish", nil, []float64{-1.0 / 3, 0, 2.0 / 3}},
		{"ThresholdedRelu", []ir.Attr{ir.AFloat("alpha", 0.5)}, []float64{0, 0, 1}},
		{"Shrink", []ir.Attr{ir.AFloat("lambd", 0.5), ir.AFloat("bias", 0.25)}, []float64{-0.75, 0, 0.75}},
		{"Mish", nil, []float64{-0.30340146137410895, 0, 0.8650983882673103}},
		{"Gelu", nil, []float64{-0.15865525393145707, 0, 0.8413447460685429}},
		{"Gelu", []ir.Attr{ir.AString("approximate", "tanh")}, []float64{-0.15880800939172324, 0, 0.8411919906082768}},
		{"Sin", nil, []float64{-0.8414709848078965, 0, 0.8414709848078965}},
		{"Cos", nil, []float64{0.5403023058681398, 1, 0.5403023058681398}},
		{"Atan", nil, []float64{-math.Pi / 4, 0, math.Pi / 4}},
		{"Asin", nil, []float64{-math.Pi / 2, 0, math.Pi / 2}},
		{"Acos", nil, []float64{math.Pi, math.Pi / 2, 0}},
		{"Sinh", nil, []float64{-1.1752011936438014, 0, 1.1752011936438014}},
		{"Cosh", nil, []float64{1.5430806348152437, 1, 1.5430806348152437}},
		{"Asinh", nil, []float64{-0.881373587019543, 0, 0.881373587019543}},
		{"Reciprocal", nil, []float64{-1, math.Inf(1), 1}},
	}
	for _, c := range cases {
		opset := int64(20)
		out := elemTRun(t, opset, c.op, elemTIns(x), c.attrs...)
		require.Equal(t, ir.Float64, out.DType, c.op)
		tol := 1e-12
		if len(c.attrs) > 0 || c.op == "Selu" || c.op == "HardSigmoid" || c.op == "Elu" {
			tol = 1e-7 // float32 attribute values
		}
		t.Run(c.op, func(t *testing.T) { elemTNear(t, c.want, out.Float64s(), tol) })
	}
	y := elemF32([]int64{6}, -2.5, -1.5, -0.5, 0.5, 1.5, 2.7)
	require.Equal(t, []float32{-2, -2, -0, 0, 2, 3}, elemTRun(t, 11, "Round", elemTIns(y)).Float32s())
	require.Equal(t, []float32{-3, -2, -1, 0, 1, 2}, elemTRun(t, 13, "Floor", elemTIns(y)).Float32s())
	require.Equal(t, []float32{-2, -1, -0, 1, 2, 3}, elemTRun(t, 13, "Ceil", elemTIns(y)).Float32s())
	z := elemF64([]int64{3}, 4, 1, 0.25)
	require.Equal(t, []float64{2, 1, 0.5}, elemTRun(t, 13, "Sqrt", elemTIns(z)).Float64s())
	elemTNear(t, []float64{math.Ln2 * 2, 0, -math.Ln2 * 2}, elemTRun(t, 13, "Log", elemTIns(z)).Float64s(), 1e-15)
	require.True(t, math.IsNaN(elemTRun(t, 13, "Sqrt", elemTIns(elemF64(nil, -1))).Float64s()[0]))
	// integer Abs/Neg/Sign/Relu
	n := elemTRaw(ir.Int8, []int64{3}, 0xFB, 0, 0x80) // -5, 0, -128
	require.Equal(t, []int8{5, 0, -128}, elemTRun(t, 13, "Abs", elemTIns(n)).Int8s())
	require.Equal(t, []int8{5, 0, -128}, elemTRun(t, 13, "Neg", elemTIns(n)).Int8s())
	require.Equal(t, []int8{-1, 0, -1}, elemTRun(t, 13, "Sign", elemTIns(n)).Int8s())
	require.Equal(t, []int8{0, 0, 0}, elemTRun(t, 14, "Relu", elemTIns(n)).Int8s())
	// erf(-5) = -0.99999999999846 truncates to 0; erf(-128) is -1 in float64
	require.Equal(t, []int8{0, 0, -1}, elemTRun(t, 13, "Erf", elemTIns(n)).Int8s())
	// float-only ops refuse integers
	_, err := elemTRunErr(13, "Exp", elemTIns(elemI64(nil, 1)))
	require.ErrorIs(t, err, ErrUnsupported)
}

func TestElemPredicates(t *testing.T) {
	x := elemF32([]int64{4}, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 1)
	require.Equal(t, []bool{false, false, true, false}, elemTRun(t, 13, "IsNaN", elemTIns(x)).Bools())
	require.Equal(t, []bool{true, true, false, false}, elemTRun(t, 10, "IsInf", elemTIns(x)).Bools())
	require.Equal(t, []bool{true, false, false, false}, elemTRun(t, 10, "IsInf", elemTIns(x), ir.AInt("detect_negative", 0)).Bools())
	require.Equal(t, []bool{false, true, false, false}, elemTRun(t, 10, "IsInf", elemTIns(x), ir.AInt("detect_positive", 0)).Bools())
}

func TestElemWhere(t *testing.T) {
	c := ir.FromBools([]int64{2, 1}, []bool{true, false})
	x := elemF32([]int64{3}, 1, 2, 3)
	y := elemF32(nil, -1)
	out := elemTRun(t, 16, "Where", elemTIns(c, x, y))
	require.Equal(t, []int64{2, 3}, out.Shape)
	require.Equal(t, []float32{1, 2, 3, -1, -1, -1}, out.Float32s())
	s := &ir.Tensor{DType: ir.String, Shape: []int64{2}, Strings: [][]byte{[]byte("yes"), []byte("si")}}
	no := &ir.Tensor{DType: ir.String, Shape: []int64{}, Strings: [][]byte{[]byte("no")}}
	out = elemTRun(t, 16, "Where", elemTIns(ir.FromBools([]int64{2}, []bool{false, true}), s, no))
	require.Equal(t, [][]byte{[]byte("no"), []byte("si")}, out.Strings)
	_, err := elemTRunErr(16, "Where", elemTIns(ir.FromBools([]int64{2}, []bool{true, true}), x, y))
	require.Error(t, err) // [2] vs [3] does not broadcast
}

func TestElemVariadic(t *testing.T) {
	a := elemF32([]int64{2, 2}, 1, 5, float32(math.NaN()), -1)
	b := elemF32([]int64{2}, 3, 4)
	c := elemF32(nil, 2)
	max := elemTRun(t, 13, "Max", elemTIns(a, b, c)).Float32s()
	require.Equal(t, []float32{3, 5}, max[:2])
	require.True(t, math.IsNaN(float64(max[2])))
	require.Equal(t, float32(4), max[3])
	min := elemTRun(t, 13, "Min", elemTIns(a, b, c)).Float32s()
	require.Equal(t, []float32{1, 2}, min[:2])
	require.Equal(t, float32(-1), min[3])
	sum := elemTRun(t, 13, "Sum", elemTIns(a, b, c)).Float32s()
	require.Equal(t, []float32{6, 11}, sum[:2])
	require.Equal(t, float32(5), sum[3])
	mean := elemTRun(t, 13, "Mean", elemTIns(a, b, c)).Float32s()
	require.Equal(t, []float32{2, 11.0 / 3}, mean[:2])
	require.Equal(t, []float32{7, 8}, elemTRun(t, 13, "Sum", elemTIns(elemF32([]int64{2}, 7, 8))).Float32s())
	u := elemTRaw(ir.Uint64, []int64{2}, 1<<63, 1)
	v := elemTRaw(ir.Uint64, []int64{2}, 1, 2)
	require.Equal(t, []uint64{1 << 63, 2}, elemTWords(elemTRun(t, 13, "Max", elemTIns(u, v))))
	require.Equal(t, []uint64{1, 1}, elemTWords(elemTRun(t, 13, "Min", elemTIns(u, v))))
	_, err := elemTRunErr(13, "Max", elemTIns(a, elemI64(nil, 1)))
	require.Error(t, err)
}

func TestElemClip(t *testing.T) {
	x := elemF32([]int64{5}, -5, -1, 0, 1, float32(math.Inf(-1)))
	// opset 6: attributes, defaults -/+FLT_MAX
	out := elemTRun(t, 6, "Clip", elemTIns(x), ir.AFloat("max", 0.5))
	require.Equal(t, []float32{-5, -1, 0, 0.5, -math.MaxFloat32}, out.Float32s())
	// opset 13: optional inputs
	lo, hi := elemF32(nil, -2), elemF32(nil, 0.5)
	out = elemTRun(t, 13, "Clip", []elemTArg{elemTIn(x), elemTConst(lo), elemTConst(hi)})
	require.Equal(t, []float32{-2, -1, 0, 0.5, -2}, out.Float32s())
	out = elemTRun(t, 13, "Clip", []elemTArg{elemTIn(x), {}, elemTConst(hi)})
	require.Equal(t, float32(math.Inf(-1)), out.Float32s()[4])
	// min > max: everything becomes max
	out = elemTRun(t, 13, "Clip", []elemTArg{elemTIn(x), elemTConst(elemF32(nil, 3)), elemTConst(elemF32(nil, 2))})
	require.Equal(t, []float32{2, 2, 2, 2, 2}, out.Float32s())
	// integers
	xi := elemTRaw(ir.Int8, []int64{3}, 0x80, 0, 0x7F)
	out = elemTRun(t, 13, "Clip", []elemTArg{elemTIn(xi), elemTConst(elemTRaw(ir.Int8, nil, 0xF6)), elemTConst(elemTRaw(ir.Int8, nil, 10))})
	require.Equal(t, []int8{-10, 0, 10}, out.Int8s())
	_, err := elemTRunErr(13, "Clip", []elemTArg{elemTIn(x), elemTConst(elemF32([]int64{2}, 0, 1))})
	require.Error(t, err)
}

func TestElemPRelu(t *testing.T) {
	x := elemF32([]int64{1, 2, 2}, -1, 2, -3, 4)
	slope := elemF32([]int64{2, 1}, 0.5, 0.25)
	out := elemTRun(t, 16, "PRelu", elemTIns(x, slope))
	require.Equal(t, []float32{-0.5, 2, -0.75, 4}, out.Float32s())
	// opset 6: per-channel slope along axis 1
	x4 := elemF32([]int64{1, 2, 1, 2}, -1, -2, -3, 4)
	out = elemTRun(t, 6, "PRelu", elemTIns(x4, elemF32([]int64{2}, 0.5, 2)))
	require.Equal(t, []float32{-0.5, -1, -6, 4}, out.Float32s())
	_, err := elemTRunErr(16, "PRelu", elemTIns(x, elemF32([]int64{3}, 1, 2, 3)))
	require.Error(t, err)
}

func TestElemCast(t *testing.T) {
	cast := func(x *ir.Tensor, to ir.DType, attrs ...ir.Attr) *ir.Tensor {
		return elemTRun(t, 19, "Cast", elemTIns(x), append(attrs, ir.AInt("to", int64(to)))...)
	}
	x := elemF32([]int64{5}, -2.7, -0.5, 0, 1.9, 300.25)
	require.Equal(t, []int32{-2, 0, 0, 1, 300}, cast(x, ir.Int32).Int32s())
	require.Equal(t, []bool{true, true, false, true, true}, cast(x, ir.Bool).Bools())
	require.Equal(t, []float64{1, 0}, cast(ir.FromBools([]int64{2}, []bool{true, false}), ir.Float64).Float64s())
	// integer to integer wraps; int64 beyond 2^24 to float32 rounds once
	require.Equal(t, []int8{-56, 1}, cast(elemI64([]int64{2}, 200, 257), ir.Int8).Int8s())
	require.Equal(t, []float32{16777216}, cast(elemI64(nil, 16777217), ir.Float32).Float32s())
	require.Equal(t, []int64{-1}, cast(elemTRaw(ir.Uint64, nil, math.MaxUint64), ir.Int64).Int64s())
	require.Equal(t, []float64{18446744073709551615}, cast(elemTRaw(ir.Uint64, nil, math.MaxUint64), ir.Float64).Float64s())
	// float32 to float16 and bfloat16 round to nearest even
	require.Equal(t, []uint64{0x3C00, 0x3555}, elemTWords(cast(elemF32([]int64{2}, 1, 1.0/3), ir.Float16)))
	require.Equal(t, []uint64{0x3EAB}, elemTWords(cast(elemF32(nil, 1.0/3), ir.BFloat16)))
	// strings
	s := &ir.Tensor{DType: ir.String, Shape: []int64{5}, Strings: [][]byte{[]byte("1.5"), []byte("INF"), []byte("-inf"), []byte("NaN"), []byte("1e3")}}
	got := cast(s, ir.Float32).Float32s()
	require.Equal(t, float32(1.5), got[0])
	require.True(t, math.IsInf(float64(got[1]), 1) && math.IsInf(float64(got[2]), -1) && math.IsNaN(float64(got[3])))
	require.Equal(t, float32(1000), got[4])
	require.Equal(t, []int64{42, -7}, cast(&ir.Tensor{DType: ir.String, Shape: []int64{2}, Strings: [][]byte{[]byte("42"), []byte("-7")}}, ir.Int64).Int64s())
	_, err := elemTRunErr(19, "Cast", elemTIns(&ir.Tensor{DType: ir.String, Shape: []int64{1}, Strings: [][]byte{[]byte("abc")}}), ir.AInt("to", int64(ir.Float32)))
	require.ErrorContains(t, err, "abc")
	strs := func(t *ir.Tensor) []string {
		out := make([]string, len(t.Strings))
		for i, s := range t.Strings {
			out[i] = string(s)
		}
		return out
	}
	fs := elemF32([]int64{7}, 1, 0.1, 1e-5, 1e16, 123456.7, -2.5, float32(math.Inf(-1)))
	require.Equal(t, []string{"1.0", "0.1", "1e-05", "1e+16", "123456.7", "-2.5", "-inf"}, strs(cast(fs, ir.String)))
	h := elemTRaw(ir.Float16, []int64{3}, 0x2E66, 0x3C00, 0x7BFF) // 0.1, 1, 65504 in float16
	require.Equal(t, []string{"0.1", "1.0", "65500.0"}, strs(cast(h, ir.String)))
	require.Equal(t, []string{"-3", "True"}, []string{strs(cast(elemI64(nil, -3), ir.String))[0], strs(cast(ir.FromBools(nil, []bool{true}), ir.String))[0]})
	// CastLike takes the target type from its second input
	out := elemTRun(t, 15, "CastLike", elemTIns(elemF32([]int64{2}, 1.5, -1.5), elemI64(nil, 0)))
	require.Equal(t, []int64{1, -1}, out.Int64s())
}

func TestElemCastFloat8(t *testing.T) {
	cast := func(x *ir.Tensor, to ir.DType, sat int64) []uint64 {
		return elemTWords(elemTRun(t, 19, "Cast", elemTIns(x), ir.AInt("to", int64(to)), ir.AInt("saturate", sat)))
	}
	x := elemF32([]int64{6}, 1, -448, 500, float32(math.Inf(1)), 0.001953125, float32(math.NaN()))
	// E4M3FN: 1 = 0 0111 000, 448 = 0 1111 110, 2^-9 = smallest subnormal 0 0000 001
	require.Equal(t, []uint64{0x38, 0xFE, 0x7E, 0x7E, 0x01, 0x7F}, cast(x, ir.Float8E4M3FN, 1))
	require.Equal(t, []uint64{0x38, 0xFE, 0x7F, 0x7F, 0x01, 0x7F}, cast(x, ir.Float8E4M3FN, 0))
	// E5M2: 1 = 0 01111 00; overflow without saturation gives infinity
	y := elemF32([]int64{3}, 1, 70000, -1.5) // 70000 rounds to 2^16, past the largest finite 57344
	require.Equal(t, []uint64{0x3C, 0x7B, 0xBE}, cast(y, ir.Float8E5M2, 1))
	require.Equal(t, []uint64{0x3C, 0x7C, 0xBE}, cast(y, ir.Float8E5M2, 0))
	// FNUZ: NaN is 0x80, bias one larger
	require.Equal(t, []uint64{0x40, 0x80, 0x80, 0x7F}, cast(elemF32([]int64{4}, 1, float32(math.NaN()), float32(math.Inf(1)), 1000), ir.Float8E4M3FNUZ, 1))
	// and back: decode every E4M3FN pattern, re-encode, get the same bits (NaNs aside)
	all := ir.MustTensor(ir.Float8E4M3FN, 256)
	for i := range all.Raw {
		all.Raw[i] = byte(i)
	}
	back := cast(elemTRun(t, 19, "Cast", elemTIns(all), ir.AInt("to", int64(ir.Float32))), ir.Float8E4M3FN, 0)
	for i, b := range back {
		if i&0x7F != 0x7F {
			require.Equal(t, uint64(i), b, "pattern %#x", i)
		}
	}
}

func TestElemInference(t *testing.T) {
	batch, seq := ir.Sym("batch"), ir.Sym("seq")
	b := ir.NewBuilder("t", map[string]int64{"": 20})
	x := b.Input("x", ir.TensorType(ir.Float32, ir.Shape{batch, seq, ir.D(4)}))
	y := b.Input("y", ir.TensorType(ir.Float32, ir.Shape{ir.D(4)}))
	s := b.Op("Add", []*ir.Value{x, y})
	require.Equal(t, "f32[batch,seq,4]", s.Type.String())
	e := b.Op("Equal", []*ir.Value{x, y})
	require.Equal(t, "bool[batch,seq,4]", e.Type.String())
	c := b.Op("Cast", []*ir.Value{x}, ir.AInt("to", int64(ir.Int64)))
	require.Equal(t, "i64[batch,seq,4]", c.Type.String())
	w := b.Op("Where", []*ir.Value{e, x, y})
	require.Equal(t, "f32[batch,seq,4]", w.Type.String())
	g := b.Op("Gelu", []*ir.Value{x})
	require.Equal(t, "f32[batch,seq,4]", g.Type.String())
	m := b.Op("Max", []*ir.Value{x, y, y})
	require.Equal(t, "f32[batch,seq,4]", m.Type.String())
	_, err := b.Graph()
	require.NoError(t, err)

	bad := func(opset int64, op string, ins []ir.Type, attrs ...ir.Attr) error {
		b := ir.NewBuilder("t", map[string]int64{"": opset})
		var vs []*ir.Value
		for i, t := range ins {
			vs = append(vs, b.Input(fmt.Sprintf("i%d", i), t))
		}
		b.Output(b.Op(op, vs, attrs...))
		_, err := b.Graph()
		return err
	}
	f := func(dims ...int64) ir.Type { return ir.TensorType(ir.Float32, ir.ConcreteShape(dims...)) }
	require.ErrorContains(t, bad(17, "Add", []ir.Type{f(2, 3), f(4)}), "broadcast")
	require.ErrorContains(t, bad(17, "Add", []ir.Type{f(2), ir.TensorType(ir.Int64, ir.ConcreteShape(2))}), "element type")
	require.Error(t, bad(6, "Add", []ir.Type{f(2, 3), f(3)}))                            // legacy: no broadcast attr
	require.NoError(t, bad(6, "Add", []ir.Type{f(2, 3), f(3)}, ir.AInt("broadcast", 1))) // legacy broadcast
	require.Error(t, bad(6, "Add", []ir.Type{f(2, 3), f(2)}, ir.AInt("broadcast", 1)))   // wrong axis
	require.NoError(t, bad(6, "Add", []ir.Type{f(2, 3), f(2)}, ir.AInt("broadcast", 1), ir.AInt("axis", 0)))
	require.ErrorContains(t, bad(17, "Cast", []ir.Type{f(2)}, ir.AInt("to", 99)), "element type")
	require.Error(t, bad(17, "Cast", []ir.Type{f(2)}))                                  // `to` is required
	require.Error(t, bad(17, "Relu", []ir.Type{f(2)}, ir.AInt("bogus", 1)))             // unknown attribute
	require.NoError(t, bad(5, "Relu", []ir.Type{f(2)}, ir.AInts("consumed_inputs", 0))) // legacy attribute accepted
	require.Error(t, bad(17, "Where", []ir.Type{f(2), f(2), f(2)}))                     // condition must be bool
	require.Error(t, bad(16, "PRelu", []ir.Type{f(2, 3), f(2)}))
	require.ErrorContains(t, bad(20, "Gelu", []ir.Type{f(2)}, ir.AString("approximate", "fast")), "approximate")
	u8 := ir.TensorType(ir.Uint8, ir.ConcreteShape(2))
	require.ErrorContains(t, bad(11, "BitShift", []ir.Type{u8, u8}, ir.AString("direction", "UP")), "direction")
	require.NoError(t, bad(11, "BitShift", []ir.Type{u8, u8}, ir.AString("direction", "LEFT")))
	require.ErrorContains(t, bad(13, "Mod", []ir.Type{f(2), f(2)}), "fmod=1")
}

// TestElemFamilyComplete checks that every op of the elementwise and reduction family has a
// schema with a doc line, an inference hook and an evaluation hook.
func TestElemFamilyComplete(t *testing.T) {
	ops := "Add Sub Mul Div Abs Neg Reciprocal Floor Ceil Round Sign Sqrt Exp Log Erf Sin Cos Tan Asin Acos Atan Sinh Cosh Asinh Acosh Atanh Tanh Sigmoid Pow Mod BitShift BitwiseAnd BitwiseOr BitwiseXor BitwiseNot And Or Xor Not Equal Greater GreaterOrEqual Less LessOrEqual IsNaN IsInf Where Max Min Sum Mean Clip Relu LeakyRelu PRelu Elu Selu Celu HardSigmoid HardSwish Softplus Softsign ThresholdedRelu Shrink Mish Gelu Cast CastLike ReduceSum ReduceMean ReduceMax ReduceMin ReduceProd ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceSumSquare ArgMax ArgMin CumSum Softmax LogSoftmax Hardmax Identity"
	for _, name := range strings.Fields(ops) {
		s := ir.LookupOp("", name)
		require.NotNil(t, s, name)
		require.NotEmpty(t, s.Doc, name)
		require.NotNil(t, s.Infer, name)
		require.NotNil(t, s.Eval, name)
		require.Positive(t, s.Since, name)
	}
}

func TestElemCast4Bit(t *testing.T) {
	cast := func(x *ir.Tensor, to ir.DType) *ir.Tensor {
		return elemTRun(t, 23, "Cast", elemTIns(x), ir.AInt("to", int64(to)))
	}
	x := elemF32([]int64{7}, -9.5, -2.5, -0.4, 1.5, 2.5, 7.6, float32(math.Inf(1)))
	// int4: round half to even, then saturate to [-8, 7]; packed low nibble first
	i4 := cast(x, ir.Int4)
	require.Len(t, i4.Raw, 4)
	require.Equal(t, []byte{0x8 | 0xE<<4, 0x0 | 0x2<<4, 0x2 | 0x7<<4, 0x7}, i4.Raw) // -8,-2 | 0,2 | 2,7 | 7
	require.Equal(t, []float32{-8, -2, 0, 2, 2, 7, 7}, cast(i4, ir.Float32).Float32s())
	u4 := cast(x, ir.Uint4)
	require.Equal(t, []int64{0, 0, 0, 2, 2, 8, 15}, cast(u4, ir.Int64).Int64s())
	// integers saturate too
	require.Equal(t, []int64{-8, 7, 3}, cast(cast(elemI64([]int64{3}, -100, 100, 3), ir.Int4), ir.Int64).Int64s())
	// float4 e2m1: values {0, .5, 1, 1.5, 2, 3, 4, 6}; ties to even; saturating; NaN -> 6
	y := elemF32([]int64{8}, 0.25, 0.75, 2.5, 5, -7, float32(math.Inf(-1)), float32(math.NaN()), -1.5)
	require.Equal(t, []float32{0, 1, 2, 4, -6, -6, 6, -1.5}, cast(cast(y, ir.Float4E2M1), ir.Float32).Float32s())
}

// TestElemBroadcastRandom compares Sub (not commutative, so operand order matters) on random
// broadcastable shapes against a coordinate-by-coordinate evaluation.
func TestElemBroadcastRandom(t *testing.T) {
	rng := uint64(12345)
	next := func(n int) int { // xorshift: deterministic and independent of the code under test
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		return int(rng % uint64(n))
	}
	for trial := 0; trial < 200; trial++ {
		rank := next(5)
		out := make([]int64, rank)
		for i := range out {
			out[i] = int64(1 + next(3))
		}
		// each operand drops some leading dims and sets some dims to 1
		mk := func() []int64 {
			s := append([]int64{}, out[next(rank+1):]...)
			for i := range s {
				if next(3) == 0 {
					s[i] = 1
				}
			}
			return s
		}
		as, bs := mk(), mk()
		fill := func(shape []int64, base float64) *ir.Tensor {
			t := ir.MustTensor(ir.Float64, shape...)
			v := t.Float64s()
			for i := range v {
				v[i] = base + float64(i)
			}
			return t
		}
		a, b := fill(as, 0), fill(bs, 1000)
		got := elemTRun(t, 14, "Sub", elemTIns(a, b))
		want, err := BroadcastShape(as, bs)
		require.NoError(t, err)
		require.Equal(t, want, got.Shape)
		// element at output coordinate c reads each operand at c (trailing-aligned, 0 where the
		// operand's dim is 1)
		coord := make([]int64, len(want))
		at := func(shape []int64) int {
			idx := 0
			for i, d := range shape {
				c := coord[len(coord)-len(shape)+i]
				if d == 1 {
					c = 0
				}
				idx = idx*int(d) + int(c)
			}
			return idx
		}
		for k, g := range got.Float64s() {
			rem := k
			for i := len(want) - 1; i >= 0; i-- {
				coord[i] = int64(rem % int(want[i]))
				rem /= int(want[i])
			}
			require.Equal(t, float64(at(as))-(1000+float64(at(bs))), g, "trial %d: %v - %v at %v", trial, as, bs, coord)
		}
	}
}

// elemTCtx is a minimal evaluation context for calling hooks directly.
type elemTCtx struct{ opset int64 }

func (c elemTCtx) Opset() int64 { return c.opset }
func (elemTCtx) NewTensor(dt ir.DType, shape []int64) (*ir.Tensor, error) {
	return ir.NewTensor(dt, shape, 1<<24)
}
func (elemTCtx) RunGraph(*ir.Graph, []ir.Datum) ([]ir.Datum, error) { return nil, nil }
func (elemTCtx) Rand() float64                                      { return 0.5 }

// TestElemHooksNeverPanic feeds random tensors (every dtype, odd shapes, absent inputs, random
// attributes, unknown input types) to the inference and evaluation hooks of the family: they
// must return errors, never panic.
func TestElemHooksNeverPanic(t *testing.T) {
	ops := strings.Fields("Add Sub Mul Div Abs Neg Reciprocal Floor Ceil Round Sign Sqrt Exp Log Erf Tanh Sigmoid Pow Mod BitShift BitwiseAnd BitwiseNot And Not Equal Greater LessOrEqual IsNaN IsInf Where Max Min Sum Mean Clip Relu LeakyRelu PRelu Selu Shrink Gelu Cast CastLike ReduceSum ReduceMean ReduceMax ReduceProd ReduceL2 ReduceLogSumExp ArgMax ArgMin CumSum Softmax LogSoftmax Hardmax")
	rng := uint64(99)
	next := func(n int) int {
		rng ^= rng << 13
		rng ^= rng >> 7
		rng ^= rng << 17
		return int(rng % uint64(n))
	}
	dts := []ir.DType{ir.Float32, ir.Float64, ir.Float16, ir.BFloat16, ir.Int8, ir.Uint8, ir.Int32, ir.Int64, ir.Uint64, ir.Bool, ir.String, ir.Int4, ir.Float8E4M3FN, ir.Complex64}
	randTensor := func() *ir.Tensor {
		shape := make([]int64, next(4))
		for i := range shape {
			shape[i] = int64(next(4))
		}
		dt := dts[next(len(dts))]
		if next(3) == 0 {
			dt = ir.Int64
		}
		x := ir.MustTensor(dt, shape...)
		for i := range x.Raw {
			x.Raw[i] = byte(next(256))
		}
		for i := range x.Strings {
			x.Strings[i] = []byte([]string{"1", "x", "-inf", ""}[next(4)])
		}
		return x
	}
	panics := 0
	for _, op := range ops {
		s := ir.MustOp("", op)
		for iter := 0; iter < 300; iter++ {
			opset := int64(1 + next(22))
			nin := s.MinIn + next(3)
			if s.MaxIn >= 0 && nin > s.MaxIn {
				nin = s.MaxIn
			}
			n := &ir.Node{Op: op}
			c := &ir.InferContext{Node: n, Opset: opset, In: make([]ir.Type, nin), Consts: make([]*ir.Tensor, nin)}
			ins := make([]ir.Datum, nin)
			for i := 0; i < nin; i++ {
				x := randTensor()
				v := &ir.Value{Name: fmt.Sprint("x", i), Type: x.Type()}
				switch next(4) {
				case 0:
					v.Type = ir.Type{}
				case 1:
					v.Type = ir.UnrankedTensor(x.DType)
				case 2:
					v.Const = x
					c.Consts[i] = x
				}
				if i >= s.MinIn && next(5) == 0 {
					n.Inputs = append(n.Inputs, nil)
					continue
				}
				n.Inputs = append(n.Inputs, v)
				c.In[i] = v.Type
				ins[i] = x
			}
			n.Outputs = []*ir.Value{{Name: "y", Def: n}}
			for _, a := range s.Attrs {
				if next(2) == 0 {
					continue
				}
				switch a.Kind {
				case ir.AttrInt:
					n.SetAttr(ir.AInt(a.Name, int64(next(9))-4+int64(next(20)/19)<<40))
				case ir.AttrInts:
					n.SetAttr(ir.AInts(a.Name, int64(next(9))-4, int64(next(5))-2))
				case ir.AttrFloat:
					n.SetAttr(ir.AFloat(a.Name, float32(next(5))-2))
				case ir.AttrString:
					n.SetAttr(ir.AString(a.Name, []string{"LEFT", "none", "tanh", "up", "?"}[next(5)]))
				}
			}
			call := func(what string, f func()) {
				defer func() {
					if r := recover(); r != nil {
						panics++
						if panics < 10 {
							t.Errorf("%s %s opset %d attrs %v: panic %v", what, op, opset, n.Attrs, r)
						}
					}
				}()
				f()
			}
			call("infer", func() { _, _ = s.Infer(c) })
			call("eval", func() { _, _ = s.Eval(elemTCtx{opset}, n, ins) })
		}
	}
	require.Zero(t, panics)
}
