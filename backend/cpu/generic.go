package cpu

import "math"

var negInf = math.Inf(-1)

// genericTable returns the pure-Go kernel table.
func genericTable() *kernelTable {
	return &kernelTable{
		name:        PathGeneric,
		sgemmKernel: sgemmKernelGeneric,
		exp:         expGeneric,
		tanh:        tanhGeneric,
		erf:         erfGeneric,
		gelu:        geluGeneric,
		geluTanh:    geluTanhGeneric,
		add:         addGeneric,
		sub:         subGeneric,
		mul:         mulGeneric,
		div:         divGeneric,
		addScalar:   addScalarGeneric,
		mulScalar:   mulScalarGeneric,
		sum:         sumGeneric,
		max:         maxGeneric,
		sumSq:       sumSqGeneric,
		moments:     momentsGeneric,
		expSub:      expSubGeneric,
		normAffine:  normAffineGeneric,
		add3:        add3Generic,
		i8Kernel:    i8KernelGeneric,
	}
}

func sgemmKernelGeneric(k int, a, b, c []float32, ldc int, accumulate bool, _ []float32) {
	var acc [gemmMR * gemmNR]float32
	a = a[:k*gemmMR]
	b = b[:k*gemmNR]
	for p := 0; p < k; p++ {
		bp := b[p*gemmNR : p*gemmNR+gemmNR : p*gemmNR+gemmNR]
		ap := a[p*gemmMR : p*gemmMR+gemmMR : p*gemmMR+gemmMR]
		for i := 0; i < gemmMR; i++ {
			ai := ap[i]
			row := acc[i*gemmNR : i*gemmNR+gemmNR : i*gemmNR+gemmNR]
			for j := range row {
				row[j] += ai * bp[j]
			}
		}
	}
	for i := 0; i < gemmMR; i++ {
		crow := c[i*ldc : i*ldc+gemmNR]
		row := acc[i*gemmNR : i*gemmNR+gemmNR]
		if accumulate {
			for j := range crow {
				crow[j] += row[j]
			}
		} else {
			copy(crow, row)
		}
	}
}

func expGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = float32(math.Exp(float64(x)))
	}
}

func tanhGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = float32(math.Tanh(float64(x)))
	}
}

func erfGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		dst[i] = float32(math.Erf(float64(x)))
	}
}

func geluGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		v := float64(x)
		if math.IsInf(v, -1) {
			dst[i] = float32(math.Copysign(0, -1)) // the limit, not -Inf*0
			continue
		}
		dst[i] = float32(0.5 * v * (1 + math.Erf(v*(1/math.Sqrt2))))
	}
}

const sqrt2OverPi = 0.7978845608028654

func geluTanhGeneric(dst, src []float32) {
	src = src[:len(dst)]
	for i, x := range src {
		v := float64(x)
		if math.IsInf(v, -1) {
			dst[i] = float32(math.Copysign(0, -1)) // the limit, not -Inf*0
			continue
		}
		dst[i] = float32(0.5 * v * (1 + math.Tanh(sqrt2OverPi*(v+0.044715*v*v*v))))
	}
}

func addGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

func subGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] - b[i]
	}
}

func mulGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * b[i]
	}
}

func divGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] / b[i]
	}
}

func addScalarGeneric(dst, a []float32, s float32) {
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + s
	}
}

func mulScalarGeneric(dst, a []float32, s float32) {
	a = a[:len(dst)]
	for i := range dst {
		dst[i] = a[i] * s
	}
}

func sumGeneric(x []float32) float32 {
	var s float32
	for _, v := range x {
		s += v
	}
	return s
}

func maxGeneric(x []float32) float32 {
	m := float32(math.Inf(-1))
	for _, v := range x {
		if v > m || v != v {
			m = v
		}
	}
	return m
}

func sumSqGeneric(x []float32, mean float32) float32 {
	var s float32
	for _, v := range x {
		d := v - mean
		s += d * d
	}
	return s
}

func momentsGeneric(x []float32, k float32) (s, s2 float32) {
	for _, v := range x {
		d := v - k
		s += d
		s2 += d * d
	}
	return s, s2
}

func expSubGeneric(dst, x []float32, m float32) float32 {
	x = x[:len(dst)]
	var s float32
	for i, v := range x {
		e := float32(math.Exp(float64(v - m)))
		dst[i] = e
		s += e
	}
	return s
}

func normAffineGeneric(dst, x, gamma, beta []float32, mean, rstd float32) {
	x, gamma, beta = x[:len(dst)], gamma[:len(dst)], beta[:len(dst)]
	for i := range dst {
		dst[i] = (x[i]-mean)*rstd*gamma[i] + beta[i]
	}
}

func add3Generic(dst, a, b, c []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	if c == nil {
		for i := range dst {
			dst[i] = a[i] + b[i]
		}
		return
	}
	c = c[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i] + c[i]
	}
}
