package cpu

import (
	"errors"
	"fmt"
	"math"
)

// Numeric is the set of element types of the typed element-wise kernels.
type Numeric interface {
	~int32 | ~int64 | ~float32 | ~float64
}

// isFloat reports whether T is a floating-point type.
func isFloat[T Numeric]() bool {
	var h T = 1
	h /= 2
	return h != 0
}

// errIntDivZero is BinaryT's error for an integer division by zero.
var errIntDivZero = errors.New("cpu.BinaryT: integer division by zero")

// BinaryT applies op with numpy broadcasting (as BroadcastBinary) on any
// Numeric type: for every output index i, with i_a, i_b its projections onto
// as and bs,
//
//	dst[i] = a[i_a] op b[i_b]
//
// Floats compute in T (float32 ops are IEEE float32, as BroadcastBinary), Max
// and Min propagate NaN, Pow is T(math.Pow(float64(x), float64(y))). Integers
// wrap on overflow; Div truncates toward zero (MinInt / -1 = MinInt) and a
// zero divisor returns an error; Pow is exact with wrap-around, a negative
// exponent giving the truncated 1/x^|y| (1 for x = 1, +-1 for x = -1, else 0),
// as the reference interpreter computes them.
func BinaryT[T Numeric](op BinaryOp, dst []T, out []int, a []T, as []int, b []T, bs []int) error {
	if op < OpAdd || op > OpPow {
		panic(fmt.Sprintf("cpu.BinaryT: unknown BinaryOp %d", op))
	}
	var s bcShape
	s.init("BinaryT", out, 2, as, bs, nil)
	checkLenT("BinaryT dst", s.size, dst)
	checkLenT("BinaryT a", s.need(0), a)
	checkLenT("BinaryT b", s.need(1), b)
	if s.size == 0 {
		return nil
	}
	isF := isFloat[T]()
	var it bcIter
	it.start(&s, 0, s.size)
	sa, sb := s.inner(0), s.inner(1)
	for {
		o, n, ok := it.next(&s)
		if !ok {
			return nil
		}
		d := dst[o : o+n]
		x, y := a[it.off[0]:], b[it.off[1]:]
		if !isF && op == OpDiv {
			if sb == 0 {
				if y[0] == 0 {
					return errIntDivZero
				}
			} else {
				for _, v := range y[:n] {
					if v == 0 {
						return errIntDivZero
					}
				}
			}
		}
		switch {
		case sa == 1 && sb == 1:
			binaryRunT(op, isF, d, x[:n], y[:n])
		default:
			for i := range d {
				d[i] = binaryT(op, isF, x[i*sa], y[i*sb])
			}
		}
	}
}

func binaryRunT[T Numeric](op BinaryOp, isF bool, d, x, y []T) {
	x, y = x[:len(d)], y[:len(d)]
	switch op {
	case OpAdd:
		for i := range d {
			d[i] = x[i] + y[i]
		}
	case OpSub:
		for i := range d {
			d[i] = x[i] - y[i]
		}
	case OpMul:
		for i := range d {
			d[i] = x[i] * y[i]
		}
	default:
		for i := range d {
			d[i] = binaryT(op, isF, x[i], y[i])
		}
	}
}

// binaryT returns x op y (integer divisors already checked).
func binaryT[T Numeric](op BinaryOp, isF bool, x, y T) T {
	switch op {
	case OpAdd:
		return x + y
	case OpSub:
		return x - y
	case OpMul:
		return x * y
	case OpDiv:
		if !isF && y == -1 {
			return -x // x / -1 without the MinInt trap (Go defines it as -x too)
		}
		return x / y
	case OpMax:
		switch {
		case x > y:
			return x
		case y > x:
			return y
		case x != x || y != y:
			return T(math.NaN())
		case isF && math.Signbit(float64(x)):
			return y
		}
		return x
	case OpMin:
		switch {
		case x < y:
			return x
		case y < x:
			return y
		case x != x || y != y:
			return T(math.NaN())
		case isF && math.Signbit(float64(x)):
			return x
		}
		return y
	case OpPow:
		if isF {
			return T(math.Pow(float64(x), float64(y)))
		}
		return intPow(x, y)
	}
	panic("cpu: unknown BinaryOp")
}

// intPow returns x^y with wrap-around; y < 0 gives the truncated 1/x^|y|.
func intPow[T Numeric](x, y T) T {
	if y < 0 {
		switch x {
		case 1:
			return 1
		case -1:
			if int64(y)%2 == 0 {
				return 1
			}
			return x
		}
		return 0
	}
	r := T(1)
	for e := uint64(y); e > 0; e >>= 1 {
		if e&1 == 1 {
			r *= x
		}
		x *= x
	}
	return r
}

func checkLenT[T any](what string, n int, x []T) {
	if len(x) < n {
		panic(fmt.Sprintf("cpu.%s: slice of length %d, need %d", what, len(x), n))
	}
}

// CmpOp selects the comparison of Compare.
type CmpOp int

const (
	CmpEqual          CmpOp = iota // a == b
	CmpLess                        // a < b
	CmpLessOrEqual                 // a <= b
	CmpGreater                     // a > b
	CmpGreaterOrEqual              // a >= b
)

// Compare compares with numpy broadcasting (as BroadcastBinary): for every
// output index i, with i_a, i_b its projections onto as and bs,
//
//	dst[i] = a[i_a] op b[i_b]
//
// Any comparison with NaN is false.
func Compare[T Numeric](op CmpOp, dst []bool, out []int, a []T, as []int, b []T, bs []int) {
	if op < CmpEqual || op > CmpGreaterOrEqual {
		panic(fmt.Sprintf("cpu.Compare: unknown CmpOp %d", op))
	}
	var s bcShape
	s.init("Compare", out, 2, as, bs, nil)
	checkLenT("Compare dst", s.size, dst)
	checkLenT("Compare a", s.need(0), a)
	checkLenT("Compare b", s.need(1), b)
	if s.size == 0 {
		return
	}
	var it bcIter
	it.start(&s, 0, s.size)
	sa, sb := s.inner(0), s.inner(1)
	for {
		o, n, ok := it.next(&s)
		if !ok {
			return
		}
		d := dst[o : o+n]
		x, y := a[it.off[0]:], b[it.off[1]:]
		switch op {
		case CmpEqual:
			for i := range d {
				d[i] = x[i*sa] == y[i*sb]
			}
		case CmpLess:
			for i := range d {
				d[i] = x[i*sa] < y[i*sb]
			}
		case CmpLessOrEqual:
			for i := range d {
				d[i] = x[i*sa] <= y[i*sb]
			}
		case CmpGreater:
			for i := range d {
				d[i] = x[i*sa] > y[i*sb]
			}
		case CmpGreaterOrEqual:
			for i := range d {
				d[i] = x[i*sa] >= y[i*sb]
			}
		}
	}
}

// LogicOp selects the operation of Logical.
type LogicOp int

const (
	LogicAnd LogicOp = iota // a && b
	LogicOr                 // a || b
	LogicXor                // a != b
)

// Logical applies a boolean op with numpy broadcasting (as BroadcastBinary):
// for every output index i, dst[i] = a[i_a] op b[i_b].
func Logical(op LogicOp, dst []bool, out []int, a []bool, as []int, b []bool, bs []int) {
	if op < LogicAnd || op > LogicXor {
		panic(fmt.Sprintf("cpu.Logical: unknown LogicOp %d", op))
	}
	var s bcShape
	s.init("Logical", out, 2, as, bs, nil)
	checkLenT("Logical dst", s.size, dst)
	checkLenT("Logical a", s.need(0), a)
	checkLenT("Logical b", s.need(1), b)
	if s.size == 0 {
		return
	}
	var it bcIter
	it.start(&s, 0, s.size)
	sa, sb := s.inner(0), s.inner(1)
	for {
		o, n, ok := it.next(&s)
		if !ok {
			return
		}
		d := dst[o : o+n]
		x, y := a[it.off[0]:], b[it.off[1]:]
		switch op {
		case LogicAnd:
			for i := range d {
				d[i] = x[i*sa] && y[i*sb]
			}
		case LogicOr:
			for i := range d {
				d[i] = x[i*sa] || y[i*sb]
			}
		case LogicXor:
			for i := range d {
				d[i] = x[i*sa] != y[i*sb]
			}
		}
	}
}

// Not sets dst[i] = !src[i] for i < len(dst).
func Not(dst, src []bool) {
	checkLenT("Not", len(dst), src)
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = !v
	}
}

// CumSum computes cumulative sums along an axis of length n, with outer
// elements before it and inner after it (ONNX CumSum): for o < outer,
// c < inner, with x[j] = src[(o*n+j)*inner+c] and y likewise in dst,
//
//	y[j] = sum_{k<=j} x[k]   (exclusive: k < j; reverse: k >= j, or k > j)
//
// Sums accumulate sequentially in T (integers wrap). dst may be src itself
// (the same slice), but must not overlap it otherwise.
func CumSum[T Numeric](dst, src []T, outer, n, inner int, exclusive, reverse bool) {
	if outer < 0 || n < 0 || inner < 0 {
		panic(fmt.Sprintf("cpu.CumSum: negative size (outer %d, n %d, inner %d)", outer, n, inner))
	}
	total := outer * n * inner
	checkLenT("CumSum dst", total, dst)
	checkLenT("CumSum src", total, src)
	if total == 0 {
		return
	}
	// Walk the axis in summation order: row j of the walk is axis index
	// start + j*step.
	start, step := 0, inner
	if reverse {
		start, step = (n-1)*inner, -inner
	}
	aliased := &dst[0] == &src[0]
	for o := 0; o < outer; o++ {
		base := o*n*inner + start
		if inner == 1 || exclusive && aliased {
			// One column at a time with a scalar accumulator (the input
			// element is read before its output overwrites it).
			for c := 0; c < inner; c++ {
				var acc T
				p := base + c
				for j := 0; j < n; j++ {
					v := src[p]
					if exclusive {
						dst[p] = acc
						acc += v
					} else {
						acc += v
						dst[p] = acc
					}
					p += step
				}
			}
			continue
		}
		// Row by row: y_j = y_{j-1} + x_j (exclusive: x_{j-1}, y_0 = 0).
		first := dst[base : base+inner]
		if exclusive {
			clear(first)
		} else {
			copy(first, src[base:base+inner])
		}
		prev := base
		for j := 1; j < n; j++ {
			cur := prev + step
			y, yp := dst[cur:cur+inner], dst[prev:prev+inner]
			x := src[cur : cur+inner]
			if exclusive {
				x = src[prev : prev+inner]
			}
			for c := range y {
				y[c] = yp[c] + x[c]
			}
			prev = cur
		}
	}
}

// Convert converts element by element, dst[i] = D(src[i]) for i < len(dst),
// as ONNX Cast in the reference interpreter: integer <-> integer wraps
// (two's complement), integer -> float rounds to nearest even, float64 ->
// float32 rounds, and float -> integer truncates toward zero through int64
// (NaN -> MinInt64, values beyond the int64 range saturate to it) before
// wrapping to an int32 destination.
func Convert[D, S Numeric](dst []D, src []S) {
	checkLenT("Convert", len(dst), src)
	src = src[:len(dst)]
	if isFloat[S]() && !isFloat[D]() {
		for i, v := range src {
			dst[i] = D(f64ToInt64Sat(float64(v)))
		}
		return
	}
	for i, v := range src {
		dst[i] = D(v)
	}
}

// f64ToInt64Sat truncates v toward zero, saturating to the int64 range (NaN
// gives MinInt64), as the reference interpreter's float-to-integer cast.
func f64ToInt64Sat(v float64) int64 {
	switch {
	case v != v:
		return math.MinInt64
	case v >= 9.223372036854775807e18:
		return math.MaxInt64
	case v <= -9.223372036854775808e18:
		return math.MinInt64
	}
	return int64(v)
}

// ConvertFromBool sets dst[i] = 1 if src[i] else 0, for i < len(dst).
func ConvertFromBool[D Numeric](dst []D, src []bool) {
	checkLenT("ConvertFromBool", len(dst), src)
	src = src[:len(dst)]
	for i, v := range src {
		if v {
			dst[i] = 1
		} else {
			dst[i] = 0
		}
	}
}

// ConvertToBool sets dst[i] = src[i] != 0 for i < len(dst) (NaN is true).
func ConvertToBool[S Numeric](dst []bool, src []S) {
	checkLenT("ConvertToBool", len(dst), src)
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = v != 0
	}
}
