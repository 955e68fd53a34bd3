package ref

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/llmc/llmc/ir"
)

// Evaluation of MatMul, Gemm, Einsum, Det, the normalizations and Dropout. Floating-point inputs
// are computed in float64 and rounded once to the output type; integer inputs exactly in int64
// (wrapping like the fixed-width type on store).

func init() {
	SetEval("", "MatMul", nnEvalMatMul)
	SetEval("", "Gemm", nnEvalGemm)
	SetEval("", "Einsum", nnEvalEinsum)
	SetEval("", "Det", nnEvalDet)
	SetEval("", "BatchNormalization", nnEvalBatchNorm)
	SetEval("", "InstanceNormalization", nnEvalInstanceNorm)
	SetEval("", "LayerNormalization", nnEvalLayerNorm)
	SetEval("", "GroupNormalization", nnEvalGroupNorm)
	SetEval("", "MeanVarianceNormalization", nnEvalMVN)
	SetEval("", "LpNormalization", nnEvalLpNorm)
	SetEval("", "LRN", nnEvalLRN)
	SetEval("", "Dropout", nnEvalDropout)
}

// nnIsFloat reports whether dt is a floating-point type the interpreter computes with.
func nnIsFloat(dt ir.DType) bool {
	switch dt {
	case ir.Float32, ir.Float64, ir.Float16, ir.BFloat16:
		return true
	}
	return false
}

// nnIsInt reports whether dt is an integer type stored in whole bytes.
func nnIsInt(dt ir.DType) bool {
	switch dt {
	case ir.Int8, ir.Uint8, ir.Int16, ir.Uint16, ir.Int32, ir.Uint32, ir.Int64, ir.Uint64:
		return true
	}
	return false
}

// nnSetInts stores integer values into t, wrapping to t's width (two's complement), exactly.
func nnSetInts(t *ir.Tensor, vals []int64) error {
	r := t.Raw
	switch t.DType {
	case ir.Int8, ir.Uint8, ir.Bool:
		for i, v := range vals {
			r[i] = byte(v)
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
	case ir.Int4, ir.Uint4:
		for i := range r {
			r[i] = 0
		}
		for i, v := range vals {
			r[i/2] |= byte(v&0xF) << (4 * uint(i%2))
		}
	default:
		return Unsupportedf("integer store into %s", t.DType)
	}
	return nil
}

// nnStore writes float64 results into a new tensor of type dt (floats rounded once, integers
// truncated).
func nnStore(ctx ir.EvalContext, dt ir.DType, shape []int64, vals []float64) (*ir.Tensor, error) {
	t, err := ctx.NewTensor(dt, shape)
	if err != nil {
		return nil, err
	}
	SetF64s(t, vals)
	return t, nil
}

// nnEmpty returns an empty output shaped like x: the normalizations return it for inputs without
// elements, whose group counts (products of the other dims) may be huge.
func nnEmpty(ctx ir.EvalContext, x *ir.Tensor) ([]*ir.Tensor, error) {
	y, err := ctx.NewTensor(x.DType, x.Shape)
	if err != nil {
		return nil, err
	}
	return []*ir.Tensor{y}, nil
}

// nnNeedFloat checks that t holds a floating-point type.
func nnNeedFloat(t *ir.Tensor, what string) error {
	if t == nil {
		return fmt.Errorf("%s is missing", what)
	}
	if !nnIsFloat(t.DType) {
		return Unsupportedf("%s has element type %s, want a floating-point type", what, t.DType)
	}
	return nil
}

// nnMatMulPlan is a checked numpy matmul: the allocated output, M, K, N, and for every batch
// index the matrix offsets into a and b.
type nnMatMulPlan struct {
	y          *ir.Tensor
	m, k, n    int
	aOff, bOff []int // element offset of each batch's matrix in a and b
}

// nnPlanMatMul checks a @ b for shapes as and bs and allocates the output of type dt (before any
// scratch sized by it).
func nnPlanMatMul(ctx ir.EvalContext, dt ir.DType, as, bs []int64) (*nnMatMulPlan, error) {
	if len(as) == 0 || len(bs) == 0 {
		return nil, fmt.Errorf("matmul operands must have rank >= 1, got shapes %v and %v", as, bs)
	}
	pa, pb := as, bs
	if len(as) == 1 {
		pa = []int64{1, as[0]}
	}
	if len(bs) == 1 {
		pb = []int64{bs[0], 1}
	}
	ra, rb := len(pa), len(pb)
	m, k, k2, n := pa[ra-2], pa[ra-1], pb[rb-2], pb[rb-1]
	if k != k2 {
		return nil, fmt.Errorf("matmul inner dims differ: %v @ %v (%d vs %d)", as, bs, k, k2)
	}
	ba, bb := pa[:ra-2], pb[:rb-2]
	batch, err := BroadcastShape(ba, bb)
	if err != nil {
		return nil, fmt.Errorf("matmul batch dims %v and %v do not broadcast", ba, bb)
	}
	out := append([]int64{}, batch...)
	if len(as) > 1 {
		out = append(out, m)
	}
	if len(bs) > 1 {
		out = append(out, n)
	}
	p := &nnMatMulPlan{m: int(m), k: int(k), n: int(n)}
	if p.y, err = ctx.NewTensor(dt, out); err != nil {
		return nil, err
	}
	if p.y.Len() == 0 {
		return p, nil // no batch to visit (and the batch count may be huge when M or N is 0)
	}
	ia := BroadcastIndex(batch, ba)
	ib := BroadcastIndex(batch, bb)
	p.aOff = make([]int, len(ia))
	p.bOff = make([]int, len(ib))
	for i := range ia {
		p.aOff[i] = ia[i] * int(m*k)
		p.bOff[i] = ib[i] * int(k*n)
	}
	return p, nil
}

// nnGemmF64 accumulates c[i,j] += sum_k a[i,k]*b[k,j] for row-major a [m,k], b [k,n] (i-k-j
// order: the inner loop streams rows of b and c).
func nnGemmF64(c, a, b []float64, m, k, n int) {
	for i := 0; i < m; i++ {
		row := c[i*n : (i+1)*n]
		arow := a[i*k : (i+1)*k]
		p := 0
		// four rows of b per pass: a quarter of the loads and stores of c
		for ; p+4 <= k; p += 4 {
			a0, a1, a2, a3 := arow[p], arow[p+1], arow[p+2], arow[p+3]
			b0 := b[p*n : (p+1)*n]
			b1 := b[(p+1)*n : (p+2)*n]
			b2 := b[(p+2)*n : (p+3)*n]
			b3 := b[(p+3)*n : (p+4)*n]
			for j := range row {
				row[j] += a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j]
			}
		}
		for ; p < k; p++ {
			av := arow[p]
			brow := b[p*n : (p+1)*n]
			for j, bv := range brow {
				row[j] += av * bv
			}
		}
	}
}

// nnGemmI64 is nnGemmF64 over int64 (wrapping).
func nnGemmI64(c, a, b []int64, m, k, n int) {
	for i := 0; i < m; i++ {
		row := c[i*n : (i+1)*n]
		for p := 0; p < k; p++ {
			av := a[i*k+p]
			brow := b[p*n : (p+1)*n]
			for j, bv := range brow {
				row[j] += av * bv
			}
		}
	}
}

func nnEvalMatMul(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a, b := in[0], in[1]
	if a.DType != b.DType {
		return nil, fmt.Errorf("matmul operands have element types %s and %s", a.DType, b.DType)
	}
	if !nnIsFloat(a.DType) && !nnIsInt(a.DType) {
		return nil, Unsupportedf("MatMul of %s", a.DType)
	}
	p, err := nnPlanMatMul(ctx, a.DType, a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	y := p.y
	mn := p.m * p.n
	switch {
	case nnIsFloat(a.DType):
		av, bv := F64s(a), F64s(b)
		out := make([]float64, y.Len())
		for i := range p.aOff {
			nnGemmF64(out[i*mn:(i+1)*mn], av[p.aOff[i]:], bv[p.bOff[i]:], p.m, p.k, p.n)
		}
		SetF64s(y, out)
	case nnIsInt(a.DType):
		av, bv := a.AsInt64s(), b.AsInt64s()
		out := make([]int64, y.Len())
		for i := range p.aOff {
			nnGemmI64(out[i*mn:(i+1)*mn], av[p.aOff[i]:], bv[p.bOff[i]:], p.m, p.k, p.n)
		}
		if err := nnSetInts(y, out); err != nil {
			return nil, err
		}
	default:
		return nil, Unsupportedf("MatMul of %s", a.DType)
	}
	return []*ir.Tensor{y}, nil
}

// nnTranspose2 returns the row-major transpose of an r x c matrix.
func nnTranspose2[T any](v []T, r, c int) []T {
	out := make([]T, len(v))
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			out[j*r+i] = v[i*c+j]
		}
	}
	return out
}

func nnEvalGemm(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	a, b := in[0], in[1]
	var c *ir.Tensor
	if len(in) > 2 {
		c = in[2]
	}
	if len(a.Shape) != 2 || len(b.Shape) != 2 {
		return nil, fmt.Errorf("gemm: A and B must be rank 2, got %v and %v", a.Shape, b.Shape)
	}
	if a.DType != b.DType {
		return nil, fmt.Errorf("gemm: A and B have element types %s and %s", a.DType, b.DType)
	}
	transA, transB := n.AttrInt("transA", 0) != 0, n.AttrInt("transB", 0) != 0
	m, k := int(a.Shape[0]), int(a.Shape[1])
	if transA {
		m, k = k, m
	}
	kb, nn := int(b.Shape[0]), int(b.Shape[1])
	if transB {
		kb, nn = nn, kb
	}
	if k != kb {
		return nil, fmt.Errorf("gemm: inner dims differ: A %v, B %v (transA=%v, transB=%v)", a.Shape, b.Shape, transA, transB)
	}
	outShape := []int64{int64(m), int64(nn)}
	if c != nil {
		if len(c.Shape) > 2 {
			return nil, fmt.Errorf("gemm: C must have rank <= 2, got %v", c.Shape)
		}
		bs, err := BroadcastShape(outShape, c.Shape)
		if err != nil || bs[0] != outShape[0] || bs[1] != outShape[1] {
			return nil, fmt.Errorf("gemm: C of shape %v does not broadcast to %v", c.Shape, outShape)
		}
	}
	y, err := ctx.NewTensor(a.DType, outShape)
	if err != nil {
		return nil, err
	}
	var cIdx []int
	if c != nil {
		cIdx = BroadcastIndex(outShape, c.Shape)
	}
	alpha, beta := float64(n.AttrFloat("alpha", 1)), float64(n.AttrFloat("beta", 1))
	switch {
	case nnIsFloat(a.DType):
		av, bv := F64s(a), F64s(b)
		if transA {
			av = nnTranspose2(av, k, m)
		}
		if transB {
			bv = nnTranspose2(bv, nn, k)
		}
		out := make([]float64, m*nn)
		nnGemmF64(out, av, bv, m, k, nn)
		var cv []float64
		if c != nil {
			cv = F64s(c)
		}
		for i := range out {
			out[i] *= alpha
			if c != nil {
				out[i] += beta * cv[cIdx[i]]
			}
		}
		SetF64s(y, out)
	case nnIsInt(a.DType):
		av, bv := a.AsInt64s(), b.AsInt64s()
		if transA {
			av = nnTranspose2(av, k, m)
		}
		if transB {
			bv = nnTranspose2(bv, nn, k)
		}
		out := make([]int64, m*nn)
		nnGemmI64(out, av, bv, m, k, nn)
		var cv []int64
		if c != nil {
			cv = c.AsInt64s()
		}
		for i := range out {
			var cc int64
			if c != nil {
				cc = cv[cIdx[i]]
			}
			if alpha == 1 && beta == 1 {
				out[i] += cc
			} else {
				out[i] = int64(alpha*float64(out[i]) + beta*float64(cc))
			}
		}
		if err := nnSetInts(y, out); err != nil {
			return nil, err
		}
	default:
		return nil, Unsupportedf("Gemm of %s", a.DType)
	}
	return []*ir.Tensor{y}, nil
}

func nnEvalEinsum(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	ranks := make([]int, len(in))
	dt := in[0].DType
	for i, t := range in {
		if t == nil {
			return nil, fmt.Errorf("einsum: input %d is missing", i)
		}
		if t.DType != dt {
			return nil, fmt.Errorf("einsum: inputs have element types %s and %s", dt, t.DType)
		}
		ranks[i] = len(t.Shape)
	}
	sp, err := ir.ParseEinsum(n.AttrString("equation", ""), ranks)
	if err != nil {
		return nil, err
	}
	size := map[int]int64{}
	var order []int // every label: output labels first, then summed ones
	inOut := map[int]bool{}
	for _, l := range sp.Output {
		order = append(order, l)
		inOut[l] = true
	}
	for i, ls := range sp.Inputs {
		for j, l := range ls {
			d := in[i].Shape[j]
			prev, ok := size[l]
			switch {
			case !ok:
				size[l] = d
				if !inOut[l] {
					inOut[l] = true
					order = append(order, l)
				}
			case prev == d || d == 1:
			case prev == 1:
				size[l] = d
			default:
				return nil, fmt.Errorf("einsum: label %q has sizes %d and %d", rune(l), prev, d)
			}
		}
	}
	pos := map[int]int{}
	for i, l := range order {
		pos[l] = i
	}
	dims := make([]int64, len(order))
	for i, l := range order {
		dims[i] = size[l]
	}
	outShape := dims[:len(sp.Output)]
	// strides[i][p]: how far input i moves when label order[p] advances (0 if broadcast).
	strides := make([][]int, len(in))
	for i, ls := range sp.Inputs {
		st := Strides(in[i].Shape)
		strides[i] = make([]int, len(order))
		for j, l := range ls {
			if in[i].Shape[j] == 1 && size[l] != 1 {
				continue
			}
			strides[i][pos[l]] += int(st[j])
		}
	}
	y, err := ctx.NewTensor(dt, outShape)
	if err != nil {
		return nil, err
	}
	total, err := ir.NumElements(dims)
	if err != nil {
		return nil, err
	}
	outN := int64(y.Len())
	inner := int64(1)
	if outN > 0 {
		inner = total / outN
	}
	isFloat := nnIsFloat(dt)
	if !isFloat && !nnIsInt(dt) {
		return nil, Unsupportedf("Einsum of %s", dt)
	}
	var fv [][]float64
	var iv [][]int64
	for _, t := range in {
		if isFloat {
			fv = append(fv, F64s(t))
		} else {
			iv = append(iv, t.AsInt64s())
		}
	}
	fout := make([]float64, outN)
	iout := make([]int64, 0)
	if !isFloat {
		iout = make([]int64, outN)
	}
	counter := make([]int64, len(order))
	offs := make([]int, len(in))
	for f := int64(0); f < total; f++ {
		o := f / inner
		if isFloat {
			p := 1.0
			for i := range in {
				p *= fv[i][offs[i]]
			}
			fout[o] += p
		} else {
			p := int64(1)
			for i := range in {
				p *= iv[i][offs[i]]
			}
			iout[o] += p
		}
		for a := len(order) - 1; a >= 0; a-- {
			counter[a]++
			for i := range in {
				offs[i] += strides[i][a]
			}
			if counter[a] < dims[a] {
				break
			}
			for i := range in {
				offs[i] -= strides[i][a] * int(counter[a])
			}
			counter[a] = 0
		}
	}
	if isFloat {
		SetF64s(y, fout)
	} else if err := nnSetInts(y, iout); err != nil {
		return nil, err
	}
	return []*ir.Tensor{y}, nil
}

// nnDet returns the determinant of the n x n row-major matrix a (destroyed), by Gaussian
// elimination with partial pivoting.
func nnDet(a []float64, n int) float64 {
	det := 1.0
	for c := 0; c < n; c++ {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r*n+c]) > math.Abs(a[p*n+c]) {
				p = r
			}
		}
		if a[p*n+c] == 0 {
			return 0
		}
		if p != c {
			for j := 0; j < n; j++ {
				a[p*n+j], a[c*n+j] = a[c*n+j], a[p*n+j]
			}
			det = -det
		}
		piv := a[c*n+c]
		det *= piv
		for r := c + 1; r < n; r++ {
			f := a[r*n+c] / piv
			if f == 0 {
				continue
			}
			for j := c; j < n; j++ {
				a[r*n+j] -= f * a[c*n+j]
			}
		}
	}
	return det
}

func nnEvalDet(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	if err := nnNeedFloat(x, "input"); err != nil {
		return nil, err
	}
	r := len(x.Shape)
	if r < 2 || x.Shape[r-1] != x.Shape[r-2] {
		return nil, fmt.Errorf("det: input must be [..., M, M], got %v", x.Shape)
	}
	m := int(x.Shape[r-1])
	xv := F64s(x)
	y, err := ctx.NewTensor(x.DType, x.Shape[:r-2])
	if err != nil {
		return nil, err
	}
	out := make([]float64, y.Len())
	for b := range out {
		mat := append([]float64{}, xv[b*m*m:(b+1)*m*m]...)
		out[b] = nnDet(mat, m)
	}
	SetF64s(y, out)
	return []*ir.Tensor{y}, nil
}

// nnParam reads a per-channel (or broadcastable) parameter as float64s, checking it has the
// expected element count.
func nnParam(t *ir.Tensor, what string, want int) ([]float64, error) {
	if t == nil {
		return nil, fmt.Errorf("%s is missing", what)
	}
	if !nnIsFloat(t.DType) {
		return nil, Unsupportedf("%s has element type %s", what, t.DType)
	}
	if t.Len() != want {
		return nil, fmt.Errorf("%s has shape %v (%d values), want %d values", what, t.Shape, t.Len(), want)
	}
	return F64s(t), nil
}

func nnEvalBatchNorm(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	if err := nnNeedFloat(x, "X"); err != nil {
		return nil, err
	}
	if len(x.Shape) < 1 {
		return nil, fmt.Errorf("X must have rank >= 1, got %v", x.Shape)
	}
	opset := ctx.Opset()
	training := n.AttrInt("training_mode", 0) != 0
	nOut := len(n.Outputs)
	if opset < 14 {
		training = nOut > 1
		if opset < 7 && n.AttrInt("is_test", 0) != 0 {
			training = false
		}
	}
	spatial := opset >= 9 || n.AttrInt("spatial", 1) != 0
	// Parameters cover dims 1.. (per channel when spatial, per activation otherwise).
	var pshape []int64
	if len(x.Shape) >= 2 {
		pshape = []int64{x.Shape[1]}
		if !spatial {
			pshape = x.Shape[1:]
		}
	}
	pn := 1
	for _, d := range pshape {
		pn *= int(d)
	}
	params := make([][]float64, 4)
	for i, what := range []string{"scale", "B", "input_mean", "input_var"} {
		v, err := nnParam(in[i+1], what, pn)
		if err != nil {
			return nil, err
		}
		params[i] = v
	}
	scale, bias, mean, vr := params[0], params[1], params[2], params[3]
	eps := float64(n.AttrFloat("epsilon", 1e-5))
	xv := F64s(x)
	batch := 1
	if len(x.Shape) > 0 {
		batch = int(x.Shape[0])
	}
	inner := 1 // elements per parameter per batch item
	if len(x.Shape) >= 2 && spatial {
		for _, d := range x.Shape[2:] {
			inner *= int(d)
		}
	}
	// element e of x belongs to parameter (e / inner) % pn
	useMean, useVar := mean, vr
	var bMean, bVar []float64
	if training {
		bMean = make([]float64, pn)
		bVar = make([]float64, pn)
		cnt := float64(batch * inner)
		for e, v := range xv {
			bMean[(e/inner)%pn] += v
		}
		for c := range bMean {
			bMean[c] /= cnt
		}
		for e, v := range xv {
			d := v - bMean[(e/inner)%pn]
			bVar[(e/inner)%pn] += d * d
		}
		for c := range bVar {
			bVar[c] /= cnt
		}
		useMean, useVar = bMean, bVar
	}
	out := make([]float64, len(xv))
	for e, v := range xv {
		c := (e / inner) % pn
		out[e] = scale[c]*(v-useMean[c])/math.Sqrt(useVar[c]+eps) + bias[c]
	}
	y, err := nnStore(ctx, x.DType, x.Shape, out)
	if err != nil {
		return nil, err
	}
	res := []*ir.Tensor{y}
	if nOut == 1 {
		return res, nil
	}
	if !training {
		return nil, fmt.Errorf("extra outputs requested outside training mode")
	}
	mom := float64(n.AttrFloat("momentum", 0.9))
	runMean := make([]float64, pn)
	runVar := make([]float64, pn)
	for c := 0; c < pn; c++ {
		runMean[c] = mean[c]*mom + bMean[c]*(1-mom)
		runVar[c] = vr[c]*mom + bVar[c]*(1-mom)
	}
	extra := [][]float64{runMean, runVar, bMean, bVar}
	dts := []ir.DType{in[3].DType, in[4].DType, in[3].DType, in[4].DType}
	for i := 1; i < nOut; i++ {
		t, err := nnStore(ctx, dts[i-1], pshape, extra[i-1])
		if err != nil {
			return nil, err
		}
		res = append(res, t)
	}
	return res, nil
}

// nnNormalize normalizes x viewed as [outer, inner] groups: each of the outer rows is normalized
// over its inner elements with the population variance, y = (x - mean) / sqrt(var + eps). It
// returns y, the means and the inverse standard deviations.
func nnNormalize(xv []float64, outer, inner int, eps float64) (y, mean, inv []float64) {
	y = make([]float64, len(xv))
	mean = make([]float64, outer)
	inv = make([]float64, outer)
	for o := 0; o < outer; o++ {
		row := xv[o*inner : (o+1)*inner]
		s := 0.0
		for _, v := range row {
			s += v
		}
		m := s / float64(inner)
		q := 0.0
		for _, v := range row {
			q += (v - m) * (v - m)
		}
		is := 1 / math.Sqrt(q/float64(inner)+eps)
		mean[o], inv[o] = m, is
		for i, v := range row {
			y[o*inner+i] = (v - m) * is
		}
	}
	return y, mean, inv
}

func nnEvalInstanceNorm(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	if err := nnNeedFloat(x, "input"); err != nil {
		return nil, err
	}
	if len(x.Shape) < 2 {
		return nil, fmt.Errorf("input must have rank >= 2 ([N,C,...]), got %v", x.Shape)
	}
	c := int(x.Shape[1])
	scale, err := nnParam(in[1], "scale", c)
	if err != nil {
		return nil, err
	}
	bias, err := nnParam(in[2], "B", c)
	if err != nil {
		return nil, err
	}
	if x.Len() == 0 {
		return nnEmpty(ctx, x)
	}
	inner := 1
	for _, d := range x.Shape[2:] {
		inner *= int(d)
	}
	outer := int(x.Shape[0]) * c
	out, _, _ := nnNormalize(F64s(x), outer, inner, float64(n.AttrFloat("epsilon", 1e-5)))
	for e := range out {
		ch := (e / max(inner, 1)) % c
		out[e] = out[e]*scale[ch] + bias[ch]
	}
	y, err := nnStore(ctx, x.DType, x.Shape, out)
	if err != nil {
		return nil, err
	}
	return []*ir.Tensor{y}, nil
}

// nnBroadcastTo returns, for every element of a tensor of shape out, the index into p read under
// unidirectional broadcasting of p to out (an error if p does not broadcast to exactly out).
func nnBroadcastTo(p *ir.Tensor, out []int64, what string) ([]float64, []int, error) {
	if !nnIsFloat(p.DType) {
		return nil, nil, Unsupportedf("%s has element type %s", what, p.DType)
	}
	bs, err := BroadcastShape(out, p.Shape)
	if err != nil || len(bs) != len(out) {
		return nil, nil, fmt.Errorf("%s of shape %v does not broadcast to %v", what, p.Shape, out)
	}
	for i := range bs {
		if bs[i] != out[i] {
			return nil, nil, fmt.Errorf("%s of shape %v does not broadcast to %v", what, p.Shape, out)
		}
	}
	return F64s(p), BroadcastIndex(out, p.Shape), nil
}

func nnEvalLayerNorm(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	if err := nnNeedFloat(x, "X"); err != nil {
		return nil, err
	}
	axis, err := ir.NormalizeAxis(n.AttrInt("axis", -1), len(x.Shape))
	if err != nil {
		return nil, err
	}
	stash := ir.DType(n.AttrInt("stash_type", 1))
	if !nnIsFloat(stash) {
		return nil, Unsupportedf("stash_type %d", n.AttrInt("stash_type", 1))
	}
	if x.Len() == 0 {
		// no elements: Y is empty; the statistics (possibly not empty) are undefined (NaN)
		res, err := nnEmpty(ctx, x)
		if err != nil {
			return nil, err
		}
		statShape := append([]int64{}, x.Shape[:axis]...)
		for range x.Shape[axis:] {
			statShape = append(statShape, 1)
		}
		for i := 1; i < len(n.Outputs); i++ {
			t, err := ctx.NewTensor(stash, statShape)
			if err != nil {
				return nil, err
			}
			nan := make([]float64, t.Len())
			for j := range nan {
				nan[j] = math.NaN()
			}
			SetF64s(t, nan)
			res = append(res, t)
		}
		return res, nil
	}
	outer, inner := 1, 1
	for i, d := range x.Shape {
		if i < axis {
			outer *= int(d)
		} else {
			inner *= int(d)
		}
	}
	out, mean, inv := nnNormalize(F64s(x), outer, inner, float64(n.AttrFloat("epsilon", 1e-5)))
	sv, si, err := nnBroadcastTo(in[1], x.Shape, "Scale")
	if err != nil {
		return nil, err
	}
	var bv []float64
	var bi []int
	if len(in) > 2 && in[2] != nil {
		if bv, bi, err = nnBroadcastTo(in[2], x.Shape, "B"); err != nil {
			return nil, err
		}
	}
	for e := range out {
		out[e] *= sv[si[e]]
		if bv != nil {
			out[e] += bv[bi[e]]
		}
	}
	y, err := nnStore(ctx, x.DType, x.Shape, out)
	if err != nil {
		return nil, err
	}
	res := []*ir.Tensor{y}
	statShape := append([]int64{}, x.Shape[:axis]...)
	for range x.Shape[axis:] {
		statShape = append(statShape, 1)
	}
	for i := 1; i < len(n.Outputs); i++ {
		v := mean
		if i == 2 {
			v = inv
		}
		t, err := nnStore(ctx, stash, statShape, v)
		if err != nil {
			return nil, err
		}
		res = append(res, t)
	}
	return res, nil
}

func nnEvalGroupNorm(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	if err := nnNeedFloat(x, "X"); err != nil {
		return nil, err
	}
	if len(x.Shape) < 2 {
		return nil, fmt.Errorf("X must have rank >= 2 ([N,C,...]), got %v", x.Shape)
	}
	c := int(x.Shape[1])
	g := int(n.AttrInt("num_groups", 0))
	if g <= 0 || g > max(c, 1) || c%g != 0 {
		return nil, fmt.Errorf("num_groups %d must be positive and divide the %d channels", n.AttrInt("num_groups", 0), c)
	}
	// Opset 18 had one scale/bias per group; opset 21 has one per channel.
	perGroup := in[1] != nil && in[1].Len() == g && g != c
	want := c
	if perGroup {
		want = g
	}
	scale, err := nnParam(in[1], "scale", want)
	if err != nil {
		return nil, err
	}
	bias, err := nnParam(in[2], "bias", want)
	if err != nil {
		return nil, err
	}
	if x.Len() == 0 {
		return nnEmpty(ctx, x)
	}
	spatial := 1
	for _, d := range x.Shape[2:] {
		spatial *= int(d)
	}
	inner := c / g * spatial
	out, _, _ := nnNormalize(F64s(x), int(x.Shape[0])*g, inner, float64(n.AttrFloat("epsilon", 1e-5)))
	for e := range out {
		ch := (e / max(spatial, 1)) % c
		p := ch
		if perGroup {
			p = ch / (c / g)
		}
		out[e] = out[e]*scale[p] + bias[p]
	}
	y, err := nnStore(ctx, x.DType, x.Shape, out)
	if err != nil {
		return nil, err
	}
	return []*ir.Tensor{y}, nil
}

// nnReduceAxes computes, for every element of a tensor of shape s, the index of its reduction
// group when the given axes are reduced (kept as size 1), and the number of groups.
func nnReduceAxes(s []int64, axes []int64) ([]int, int, error) {
	red := make([]bool, len(s))
	for _, a := range axes {
		ax, err := ir.NormalizeAxis(a, len(s))
		if err != nil {
			return nil, 0, err
		}
		red[ax] = true
	}
	kept := make([]int64, len(s))
	for i, d := range s {
		kept[i] = d
		if red[i] {
			kept[i] = 1
		}
	}
	groups := 1
	for _, d := range kept {
		groups *= int(d)
	}
	return BroadcastIndex(s, kept), groups, nil
}

func nnEvalMVN(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	if err := nnNeedFloat(x, "X"); err != nil {
		return nil, err
	}
	if x.Len() == 0 {
		return nnEmpty(ctx, x)
	}
	grp, ng, err := nnReduceAxes(x.Shape, n.AttrInts("axes", []int64{0, 2, 3}))
	if err != nil {
		return nil, err
	}
	xv := F64s(x)
	sum := make([]float64, ng)
	cnt := make([]float64, ng)
	for e, v := range xv {
		sum[grp[e]] += v
		cnt[grp[e]]++
	}
	mean := make([]float64, ng)
	for i := range mean {
		mean[i] = sum[i] / cnt[i]
	}
	vr := make([]float64, ng)
	for e, v := range xv {
		d := v - mean[grp[e]]
		vr[grp[e]] += d * d
	}
	out := make([]float64, len(xv))
	for e, v := range xv {
		g := grp[e]
		out[e] = (v - mean[g]) / (math.Sqrt(vr[g]/cnt[g]) + 1e-9)
	}
	y, err := nnStore(ctx, x.DType, x.Shape, out)
	if err != nil {
		return nil, err
	}
	return []*ir.Tensor{y}, nil
}

func nnEvalLpNorm(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	if err := nnNeedFloat(x, "input"); err != nil {
		return nil, err
	}
	p := n.AttrInt("p", 2)
	if p != 1 && p != 2 {
		return nil, fmt.Errorf("p must be 1 or 2, got %d", p)
	}
	if len(x.Shape) == 0 {
		return nil, fmt.Errorf("input must have rank >= 1")
	}
	if _, err := ir.NormalizeAxis(n.AttrInt("axis", -1), len(x.Shape)); err != nil {
		return nil, err
	}
	if x.Len() == 0 {
		return nnEmpty(ctx, x)
	}
	grp, ng, err := nnReduceAxes(x.Shape, []int64{n.AttrInt("axis", -1)})
	if err != nil {
		return nil, err
	}
	xv := F64s(x)
	norm := make([]float64, ng)
	for e, v := range xv {
		if p == 1 {
			norm[grp[e]] += math.Abs(v)
		} else {
			norm[grp[e]] += v * v
		}
	}
	if p == 2 {
		for i := range norm {
			norm[i] = math.Sqrt(norm[i])
		}
	}
	out := make([]float64, len(xv))
	for e, v := range xv {
		out[e] = v / norm[grp[e]]
	}
	y, err := nnStore(ctx, x.DType, x.Shape, out)
	if err != nil {
		return nil, err
	}
	return []*ir.Tensor{y}, nil
}

func nnEvalLRN(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	if err := nnNeedFloat(x, "X"); err != nil {
		return nil, err
	}
	if len(x.Shape) < 2 {
		return nil, fmt.Errorf("X must have rank >= 2 ([N,C,...]), got %v", x.Shape)
	}
	size := n.AttrInt("size", 0)
	if size <= 0 {
		return nil, fmt.Errorf("size must be positive, got %d", size)
	}
	alpha, beta, bias := float64(n.AttrFloat("alpha", 1e-4)), float64(n.AttrFloat("beta", 0.75)), float64(n.AttrFloat("bias", 1))
	c := int(x.Shape[1])
	inner := 1
	for _, d := range x.Shape[2:] {
		inner *= int(d)
	}
	lo, hi := int((size-1)/2), int((size-1+1)/2) // floor((size-1)/2) before, ceil((size-1)/2) after
	xv := F64s(x)
	out := make([]float64, len(xv))
	for e, v := range xv {
		ch := (e / max(inner, 1)) % c
		base := e - ch*inner
		sq := 0.0
		for j := max(0, ch-lo); j <= min(c-1, ch+hi); j++ {
			u := xv[base+j*inner]
			sq += u * u
		}
		out[e] = v / math.Pow(bias+alpha/float64(size)*sq, beta)
	}
	y, err := nnStore(ctx, x.DType, x.Shape, out)
	if err != nil {
		return nil, err
	}
	return []*ir.Tensor{y}, nil
}

func nnEvalDropout(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x := in[0]
	ratio := 0.5
	training := false
	if ctx.Opset() >= 12 {
		if len(in) > 1 && in[1] != nil {
			if in[1].Len() != 1 || !nnIsFloat(in[1].DType) {
				return nil, fmt.Errorf("ratio must be a floating-point scalar, got %s%v", in[1].DType, in[1].Shape)
			}
			ratio = in[1].Float64At(0)
		}
		if len(in) > 2 && in[2] != nil {
			if in[2].Len() != 1 || in[2].DType != ir.Bool {
				return nil, fmt.Errorf("training_mode must be a bool scalar, got %s%v", in[2].DType, in[2].Shape)
			}
			training = in[2].Raw[0] != 0
		}
	} else {
		ratio = float64(n.AttrFloat("ratio", 0.5))
	}
	if training && !(ratio >= 0 && ratio <= 1) {
		return nil, fmt.Errorf("ratio %v must be in [0, 1]", ratio)
	}
	y, err := ctx.NewTensor(x.DType, x.Shape)
	if err != nil {
		return nil, err
	}
	// With a seed attribute the draws are reproducible: uniform [0,1) doubles of MT19937 seeded
	// as numpy's RandomState(seed) (what the ONNX reference uses); otherwise the run's generator.
	draw := ctx.Rand
	if a := n.Attr("seed"); a != nil && a.Kind == ir.AttrInt {
		draw = nnNewMT19937(uint32(a.I)).float64
	}
	keep := make([]bool, x.Len())
	for i := range keep {
		keep[i] = !training || ratio == 0 || draw() >= ratio
	}
	if !training || ratio == 0 {
		copy(y.Raw, x.Raw)
		copy(y.Strings, x.Strings)
	} else {
		if !nnIsFloat(x.DType) {
			return nil, Unsupportedf("training Dropout of %s", x.DType)
		}
		xv := F64s(x)
		out := make([]float64, len(xv))
		scale := 1 / (1 - ratio)
		if ratio == 1 {
			scale = 0
		}
		for i, v := range xv {
			if keep[i] {
				out[i] = v * scale
			}
		}
		SetF64s(y, out)
	}
	res := []*ir.Tensor{y}
	if len(n.Outputs) > 1 {
		mdt := ir.Bool
		if ctx.Opset() < 10 {
			mdt = x.DType // the mask had the data's type before opset 10
			if !nnIsFloat(mdt) && !nnIsInt(mdt) && mdt != ir.Bool {
				return nil, Unsupportedf("Dropout mask of %s", mdt)
			}
		}
		m, err := ctx.NewTensor(mdt, x.Shape)
		if err != nil {
			return nil, err
		}
		mv := make([]float64, len(keep))
		for i, k := range keep {
			if k {
				mv[i] = 1
			}
		}
		SetF64s(m, mv)
		res = append(res, m)
	}
	return res, nil
}

// nnMT19937 is the Mersenne Twister MT19937 generator (Matsumoto & Nishimura), used so that a
// seeded Dropout reproduces numpy's RandomState draws.
type nnMT19937 struct {
	mt  [624]uint32
	pos int
}

func nnNewMT19937(seed uint32) *nnMT19937 {
	g := &nnMT19937{pos: 624}
	g.mt[0] = seed
	for i := 1; i < 624; i++ {
		p := g.mt[i-1]
		g.mt[i] = 1812433253*(p^(p>>30)) + uint32(i)
	}
	return g
}

func (g *nnMT19937) uint32() uint32 {
	if g.pos >= 624 {
		for i := 0; i < 624; i++ {
			y := g.mt[i]&0x80000000 | g.mt[(i+1)%624]&0x7fffffff
			v := g.mt[(i+397)%624] ^ y>>1
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			g.mt[i] = v
		}
		g.pos = 0
	}
	y := g.mt[g.pos]
	g.pos++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// float64 returns a uniform double in [0,1) with 53 random bits (27 + 26 from two draws).
func (g *nnMT19937) float64() float64 {
	a, b := g.uint32()>>5, g.uint32()>>6
	return (float64(a)*67108864 + float64(b)) / 9007199254740992
}
