package cpu

import "math"

// unaryChunk is the length of the stack buffers the chunked unary kernels use.
const unaryChunk = 256

// Sigmoid sets dst[i] = 1/(1+exp(-src[i])) for i < len(dst). dst and src may
// alias. Computed as 1/(1+e) with e = Exp(-x) from the active vector exp:
// within 3 ulp of the float64 value where src[i] >= -87 (TestUnaryMore); below
// that the result (< 2e-38) may be flushed to 0. Sigmoid(+Inf) = 1,
// Sigmoid(-Inf) = 0, NaN propagates.
func Sigmoid(dst, src []float32) {
	checkLen("Sigmoid", len(dst), src)
	if len(dst) == 0 {
		return
	}
	ts := getScratch(min(len(dst), unaryChunk))
	defer f32Scratch.Put(ts)
	t := *ts
	for lo := 0; lo < len(dst); lo += len(t) {
		hi := min(lo+len(t), len(dst))
		e := t[:hi-lo]
		active.mulScalar(e, src[lo:hi], -1)
		active.exp(e, e)
		d := dst[lo:hi]
		for i, v := range e {
			d[i] = 1 / (1 + v)
		}
	}
}

// Sqrt sets dst[i] = sqrt(src[i]) for i < len(dst), correctly rounded (NaN for
// negative inputs, Sqrt(-0) = -0). dst and src may alias.
func Sqrt(dst, src []float32) {
	checkLen("Sqrt", len(dst), src)
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = float32(math.Sqrt(float64(v)))
	}
}

// Neg sets dst[i] = -src[i] for i < len(dst) (the sign bit flipped, also for
// zeros and NaN). dst and src may alias.
func Neg(dst, src []float32) {
	checkLen("Neg", len(dst), src)
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = -v
	}
}

// Abs sets dst[i] = |src[i]| for i < len(dst) (the sign bit cleared). dst and
// src may alias.
func Abs(dst, src []float32) {
	checkLen("Abs", len(dst), src)
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = math.Float32frombits(math.Float32bits(v) &^ (1 << 31))
	}
}

// Log sets dst[i] = ln(src[i]) for i < len(dst), float32(math.Log(float64(x))):
// within 0.5 ulp plus float64 libm error (TestUnaryMore bounds it by 1 ulp).
// Log(0) = -Inf, Log(x<0) = NaN. dst and src may alias.
func Log(dst, src []float32) {
	checkLen("Log", len(dst), src)
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = float32(math.Log(float64(v)))
	}
}

// Reciprocal sets dst[i] = 1/src[i] for i < len(dst) (IEEE float32 division,
// correctly rounded). dst and src may alias.
func Reciprocal(dst, src []float32) {
	checkLen("Reciprocal", len(dst), src)
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = 1 / v
	}
}

// PowScalar sets dst[i] = float32(math.Pow(float64(src[i]), float64(e))) for
// i < len(dst), bit for bit (also for zeros, infinities and NaN). e = 0, 1,
// 2, 3, 0.5 and -1 take exact fast paths (a multiply, sqrt or division); other
// exponents call math.Pow. dst and src may alias.
func PowScalar(dst, src []float32, e float32) {
	checkLen("PowScalar", len(dst), src)
	powScalar(dst, src[:len(dst)], e)
}

func powScalar(dst, src []float32, e float32) {
	src = src[:len(dst)]
	switch e {
	case 0:
		for i := range dst {
			dst[i] = 1 // math.Pow(x, 0) = 1 for every x, NaN included
		}
	case 1:
		copy(dst, src)
	case 2:
		// x*x is exact in float64, so one float32 rounding equals math.Pow's.
		for i, v := range src {
			dst[i] = v * v
		}
	case 3:
		// math.Pow rounds x^3 once in float64 (x^2 is exact), as this does.
		for i, v := range src {
			x := float64(v)
			dst[i] = float32(x * x * x)
		}
	case 0.5:
		for i, v := range src {
			switch {
			case v == 0:
				dst[i] = 0 // Pow(-0, 0.5) = +0
			case math.IsInf(float64(v), -1):
				dst[i] = float32(math.Inf(1))
			default:
				dst[i] = float32(math.Sqrt(float64(v)))
			}
		}
	case -1:
		// float64 1/x rounded to float32 equals float32 1/x (innocuous double rounding).
		for i, v := range src {
			dst[i] = 1 / v
		}
	default:
		ef := float64(e)
		for i, v := range src {
			dst[i] = float32(math.Pow(float64(v), ef))
		}
	}
}

// Clip sets dst[i] = min(max(src[i], lo), hi) for i < len(dst), as ONNX Clip:
//
//	v = src[i]; if v < lo { v = lo }; if v > hi { v = hi }; dst[i] = v
//
// NaN stays NaN; with lo > hi every element becomes hi. dst and src may alias.
func Clip(dst, src []float32, lo, hi float32) {
	checkLen("Clip", len(dst), src)
	src = src[:len(dst)]
	for i, v := range src {
		if v < lo {
			v = lo
		}
		if v > hi {
			v = hi
		}
		dst[i] = v
	}
}
