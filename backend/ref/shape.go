package ref

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"

	"github.com/llmc/llmc/ir"
)

// Reference evaluation of the shape-manipulation ops (see ir/ops_shape.go). Data movement is done
// by index maps: for every output element the linear index of the input element it copies (-1:
// leave the fill value), applied by shapeGatherInto for any element type.

func init() {
	SetEval("", "Shape", shapeEvalShape)
	SetEval("", "Size", shapeEvalSize)
	SetEval("", "Reshape", shapeEvalReshape)
	SetEval("", "Flatten", shapeEvalFlatten)
	SetEval("", "Transpose", shapeEvalTranspose)
	SetEval("", "Squeeze", shapeEvalSqueeze)
	SetEval("", "Unsqueeze", shapeEvalUnsqueeze)
	SetEval("", "Concat", shapeEvalConcat)
	SetEval("", "Split", shapeEvalSplit)
	SetEval("", "Slice", shapeEvalSlice)
	SetEval("", "Expand", shapeEvalExpand)
	SetEval("", "Tile", shapeEvalTile)
	SetEval("", "Pad", shapeEvalPad)
	SetEval("", "DepthToSpace", shapeEvalDepthToSpace)
	SetEval("", "SpaceToDepth", shapeEvalSpaceToDepth)
	SetEval("", "Resize", shapeEvalResize)
	SetEval("", "Upsample", shapeEvalUpsample)
	SetEval("", "CenterCropPad", shapeEvalCenterCropPad)
}

// shapeAlloc allocates an output through the interpreter (which enforces the memory cap), first
// refusing element counts so large that their byte size would overflow int64 (ir.ByteSize
// multiplies the count by the element's bits).
func shapeAlloc(ctx ir.EvalContext, dt ir.DType, shape []int64) (*ir.Tensor, error) {
	n, err := ir.NumElements(shape)
	if err != nil {
		return nil, err
	}
	if n > 1<<52 {
		return nil, fmt.Errorf("%w: shape %v has %d elements", ErrMemoryLimit, shape, n)
	}
	return ctx.NewTensor(dt, shape)
}

// shapeNeed returns required input i or an error naming it.
func shapeNeed(in []*ir.Tensor, i int, what string) (*ir.Tensor, error) {
	if i >= len(in) || in[i] == nil {
		return nil, fmt.Errorf("input %d (%s) is missing", i, what)
	}
	return in[i], nil
}

// shapeMovable checks that t's elements can be moved one by one: any valid type, with string
// tensors holding one string per element.
func shapeMovable(t *ir.Tensor) error {
	if t.DType != ir.String && t.DType.Bits() != 4 && t.DType.Bits()%8 != 0 {
		return Unsupportedf("element type %s in data movement", t.DType)
	}
	if t.DType == ir.String && len(t.Strings) != t.Len() {
		return fmt.Errorf("string tensor of shape %v has %d elements", t.Shape, len(t.Strings))
	}
	return nil
}

// shapeInts reads an integer tensor (int32/int64) as int64s.
func shapeInts(t *ir.Tensor, what string) ([]int64, error) {
	if t.DType != ir.Int64 && t.DType != ir.Int32 {
		return nil, fmt.Errorf("%s has element type %s, want i64 or i32", what, t.DType)
	}
	return t.AsInt64s(), nil
}

// shapeMover returns a function copying element i of src to element k of dst (same element
// type), chosen once per tensor pair.
func shapeMover(dst, src *ir.Tensor) func(k, i int) {
	d, s := dst.Raw, src.Raw
	switch {
	case src.DType == ir.String:
		return func(k, i int) { dst.Strings[k] = src.Strings[i] }
	case src.DType.Bits() == 4:
		return func(k, i int) { shapeSetNibble(d, k, shapeNibble(s, i)) }
	case src.DType.Size() == 1:
		return func(k, i int) { d[k] = s[i] }
	case src.DType.Size() == 2:
		return func(k, i int) { copy(d[2*k:2*k+2], s[2*i:2*i+2]) }
	case src.DType.Size() == 4:
		return func(k, i int) { copy(d[4*k:4*k+4], s[4*i:4*i+4]) }
	case src.DType.Size() == 8:
		return func(k, i int) { copy(d[8*k:8*k+8], s[8*i:8*i+8]) }
	}
	sz := src.DType.Size()
	return func(k, i int) { copy(d[sz*k:sz*k+sz], s[sz*i:sz*i+sz]) }
}

// shapeNibble returns packed 4-bit element i (low nibble first, as ONNX packs int4).
func shapeNibble(raw []byte, i int) byte { return raw[i/2] >> (4 * uint(i%2)) & 0xF }

// shapeSetNibble stores v as packed 4-bit element i.
func shapeSetNibble(raw []byte, i int, v byte) {
	sh := 4 * uint(i%2)
	raw[i/2] = raw[i/2]&^(0xF<<sh) | (v&0xF)<<sh
}

// shapeCopyElems copies n elements src[si:si+n] to dst[di:di+n].
func shapeCopyElems(dst *ir.Tensor, di int, src *ir.Tensor, si, n int) {
	if src.DType == ir.String {
		copy(dst.Strings[di:di+n], src.Strings[si:si+n])
		return
	}
	if src.DType.Bits() == 4 {
		for k := 0; k < n; k++ {
			shapeSetNibble(dst.Raw, di+k, shapeNibble(src.Raw, si+k))
		}
		return
	}
	sz := src.DType.Size()
	copy(dst.Raw[di*sz:(di+n)*sz], src.Raw[si*sz:(si+n)*sz])
}

// shapeWithData returns a new tensor with x's elements and the given shape.
func shapeWithData(ctx ir.EvalContext, x *ir.Tensor, shape []int64) (*ir.Tensor, error) {
	n, err := ir.NumElements(shape)
	if err != nil {
		return nil, err
	}
	if n != int64(x.Len()) {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v (%d elements)", x.Shape, x.Len(), shape, n)
	}
	out, err := shapeAlloc(ctx, x.DType, shape)
	if err != nil {
		return nil, err
	}
	copy(out.Raw, x.Raw)
	copy(out.Strings, x.Strings)
	return out, nil
}

// shapeWalk visits every element of an output of shape out in row-major order, calling
// emit(k, src(coord)) with its linear index k and the input index src returns for its coordinate
// (-1: no input element). It allocates nothing per element.
func shapeWalk(out []int64, src func(coord []int64) int, emit func(k, i int)) {
	n := 1
	for _, d := range out {
		n *= int(d)
	}
	if n == 0 {
		return
	}
	coord := make([]int64, len(out))
	for k := 0; k < n; k++ {
		emit(k, src(coord))
		for a := len(out) - 1; a >= 0; a-- {
			coord[a]++
			if coord[a] < out[a] {
				break
			}
			coord[a] = 0
		}
	}
}

// shapeMoveInto fills y (of shape out) from x: element k of y is element src(coord) of x, left
// as is where src returns -1.
func shapeMoveInto(y, x *ir.Tensor, out []int64, src func(coord []int64) int) {
	mv := shapeMover(y, x)
	shapeWalk(out, src, func(k, i int) {
		if i >= 0 {
			mv(k, i)
		}
	})
}

// shapeMove allocates an output of shape out and fills it from x through src (see
// shapeMoveInto).
func shapeMove(ctx ir.EvalContext, x *ir.Tensor, out []int64, src func(coord []int64) int) (*ir.Tensor, error) {
	if err := shapeMovable(x); err != nil {
		return nil, err
	}
	y, err := shapeAlloc(ctx, x.DType, out)
	if err != nil {
		return nil, err
	}
	shapeMoveInto(y, x, out, src)
	return y, nil
}

func shapeEvalShape(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "data")
	if err != nil {
		return nil, err
	}
	r := int64(len(x.Shape))
	clamp := func(v int64) int64 {
		if v < 0 {
			v += r
		}
		return min(max(v, 0), r)
	}
	lo, hi := clamp(n.AttrInt("start", 0)), r
	if a := n.Attr("end"); a != nil {
		hi = clamp(a.I)
	}
	hi = max(hi, lo)
	y, err := shapeAlloc(ctx, ir.Int64, []int64{hi - lo})
	if err != nil {
		return nil, err
	}
	copy(y.Int64s(), x.Shape[lo:hi])
	return []*ir.Tensor{y}, nil
}

func shapeEvalSize(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "data")
	if err != nil {
		return nil, err
	}
	y, err := shapeAlloc(ctx, ir.Int64, []int64{})
	if err != nil {
		return nil, err
	}
	y.Int64s()[0] = int64(x.Len())
	return []*ir.Tensor{y}, nil
}

// ReshapeTarget resolves an ONNX Reshape target (0 copies the input dim unless allowZero, -1 is
// inferred) against a concrete input shape.
func ReshapeTarget(in, target []int64, allowZero bool) ([]int64, error) {
	out := make([]int64, len(target))
	infer := -1
	prod := int64(1)
	for i, v := range target {
		switch {
		case v == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("target shape %v has more than one -1", target)
			}
			infer = i
			continue
		case v == 0 && !allowZero:
			if i >= len(in) {
				return nil, fmt.Errorf("target shape %v copies dim %d (0) of a rank-%d input", target, i, len(in))
			}
			v = in[i]
		case v < -1:
			return nil, fmt.Errorf("target shape %v has invalid dim %d", target, v)
		}
		out[i] = v
		if v != 0 && prod > math.MaxInt64/v {
			return nil, fmt.Errorf("target shape %v overflows", target)
		}
		prod *= v
	}
	total, err := ir.NumElements(in)
	if err != nil {
		return nil, err
	}
	if infer >= 0 {
		if allowZero && prod == 0 {
			return nil, fmt.Errorf("target shape %v has both 0 (allowzero) and -1", target)
		}
		if prod == 0 || total%prod != 0 {
			return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", in, total, target)
		}
		out[infer] = total / prod
		prod = total
	}
	if prod != total {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v (%d elements)", in, total, out, prod)
	}
	return out, nil
}

func shapeEvalReshape(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "data")
	if err != nil {
		return nil, err
	}
	var target []int64
	if len(in) > 1 && in[1] != nil {
		if in[1].DType != ir.Int64 {
			return nil, fmt.Errorf("shape has element type %s, want i64", in[1].DType)
		}
		if len(in[1].Shape) != 1 {
			return nil, fmt.Errorf("shape has rank %d, want 1", len(in[1].Shape))
		}
		target = in[1].Int64s()
	} else if a := n.Attr("shape"); a != nil {
		target = a.Ints
	} else {
		return nil, fmt.Errorf("no target shape")
	}
	shape, err := ReshapeTarget(x.Shape, target, n.AttrInt("allowzero", 0) != 0)
	if err != nil {
		return nil, err
	}
	y, err := shapeWithData(ctx, x, shape)
	return []*ir.Tensor{y}, err
}

func shapeEvalFlatten(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "input")
	if err != nil {
		return nil, err
	}
	r := int64(len(x.Shape))
	axis := n.AttrInt("axis", 1)
	if axis < -r || axis > r {
		return nil, fmt.Errorf("axis %d out of range for rank %d", axis, r)
	}
	if axis < 0 {
		axis += r
	}
	a, b := int64(1), int64(1)
	for i, d := range x.Shape {
		if int64(i) < axis {
			a *= d
		} else {
			b *= d
		}
	}
	y, err := shapeWithData(ctx, x, []int64{a, b})
	return []*ir.Tensor{y}, err
}

func shapeEvalTranspose(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "data")
	if err != nil {
		return nil, err
	}
	perm, err := ir.TransposePerm(n, len(x.Shape))
	if err != nil {
		return nil, err
	}
	st := Strides(x.Shape)
	out := make([]int64, len(perm))
	pst := make([]int64, len(perm)) // input stride of each output axis
	for i, p := range perm {
		out[i] = x.Shape[p]
		pst[i] = st[p]
	}
	y, err := shapeMove(ctx, x, out, func(c []int64) int {
		off := int64(0)
		for i, v := range c {
			off += v * pst[i]
		}
		return int(off)
	})
	return []*ir.Tensor{y}, err
}

// shapeAxesOf returns axes given as an attribute before opset `since` and as input 1 after.
func shapeAxesOf(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor, since int64) ([]int64, bool, error) {
	if ctx.Opset() >= since || (len(in) > 1 && in[1] != nil) {
		if len(in) < 2 || in[1] == nil {
			return nil, false, nil
		}
		v, err := shapeInts(in[1], "axes")
		return v, true, err
	}
	if a := n.Attr("axes"); a != nil {
		return a.Ints, true, nil
	}
	return nil, false, nil
}

func shapeEvalSqueeze(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "data")
	if err != nil {
		return nil, err
	}
	axes, present, err := shapeAxesOf(ctx, n, in, 13)
	if err != nil {
		return nil, err
	}
	drop := make([]bool, len(x.Shape))
	if !present {
		for i, d := range x.Shape {
			drop[i] = d == 1
		}
	} else {
		ax, err := ir.NormalizeAxes(axes, len(x.Shape))
		if err != nil {
			return nil, err
		}
		for _, a := range ax {
			if x.Shape[a] != 1 {
				return nil, fmt.Errorf("cannot squeeze axis %d of size %d (shape %v)", a, x.Shape[a], x.Shape)
			}
			drop[a] = true
		}
	}
	shape := []int64{}
	for i, d := range x.Shape {
		if !drop[i] {
			shape = append(shape, d)
		}
	}
	y, err := shapeWithData(ctx, x, shape)
	return []*ir.Tensor{y}, err
}

func shapeEvalUnsqueeze(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "data")
	if err != nil {
		return nil, err
	}
	axes, present, err := shapeAxesOf(ctx, n, in, 13)
	if err != nil {
		return nil, err
	}
	if !present {
		return nil, fmt.Errorf("axes are required")
	}
	r := len(x.Shape) + len(axes)
	ax, err := ir.NormalizeAxes(axes, r)
	if err != nil {
		return nil, err
	}
	ins := make([]bool, r)
	for _, a := range ax {
		ins[a] = true
	}
	shape := make([]int64, r)
	j := 0
	for i := range shape {
		if ins[i] {
			shape[i] = 1
		} else {
			shape[i] = x.Shape[j]
			j++
		}
	}
	y, err := shapeWithData(ctx, x, shape)
	return []*ir.Tensor{y}, err
}

func shapeEvalConcat(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	if len(in) == 0 || in[0] == nil {
		return nil, fmt.Errorf("no inputs")
	}
	x0 := in[0]
	axis := n.AttrInt("axis", 1)
	r := len(x0.Shape)
	ax, err := ir.NormalizeAxis(axis, r)
	if err != nil {
		return nil, err
	}
	out := append([]int64{}, x0.Shape...)
	out[ax] = 0
	for i, x := range in {
		if x == nil {
			return nil, fmt.Errorf("input %d is missing", i)
		}
		if x.DType != x0.DType {
			return nil, fmt.Errorf("input %d has element type %s, input 0 has %s", i, x.DType, x0.DType)
		}
		if err := shapeMovable(x); err != nil {
			return nil, err
		}
		if len(x.Shape) != r {
			return nil, fmt.Errorf("input %d has shape %v, input 0 has %v (ranks differ)", i, x.Shape, x0.Shape)
		}
		for j := range x.Shape {
			if j != ax && x.Shape[j] != x0.Shape[j] {
				return nil, fmt.Errorf("input %d has shape %v, input 0 has %v (dim %d differs)", i, x.Shape, x0.Shape, j)
			}
		}
		out[ax] += x.Shape[ax]
	}
	y, err := shapeAlloc(ctx, x0.DType, out)
	if err != nil || y.Len() == 0 {
		return []*ir.Tensor{y}, err
	}
	outer := 1
	for _, d := range out[:ax] {
		outer *= int(d)
	}
	inner := 1
	for _, d := range out[ax+1:] {
		inner *= int(d)
	}
	rowOut := int(out[ax]) * inner
	off := 0
	for _, x := range in {
		rowIn := int(x.Shape[ax]) * inner
		for o := 0; o < outer; o++ {
			shapeCopyElems(y, o*rowOut+off, x, o*rowIn, rowIn)
		}
		off += rowIn
	}
	return []*ir.Tensor{y}, nil
}

// shapeSliceAxis copies x's slices [lo, lo+cnt) along axis ax (step 1) into a new tensor.
func shapeSliceAxis(ctx ir.EvalContext, x *ir.Tensor, ax int, lo, cnt int64) (*ir.Tensor, error) {
	out := append([]int64{}, x.Shape...)
	out[ax] = cnt
	y, err := shapeAlloc(ctx, x.DType, out)
	if err != nil || y.Len() == 0 {
		return y, err
	}
	outer := 1
	for _, d := range x.Shape[:ax] {
		outer *= int(d)
	}
	inner := 1
	for _, d := range x.Shape[ax+1:] {
		inner *= int(d)
	}
	for o := 0; o < outer; o++ {
		shapeCopyElems(y, o*int(cnt)*inner, x, (o*int(x.Shape[ax])+int(lo))*inner, int(cnt)*inner)
	}
	return y, nil
}

func shapeEvalSplit(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "input")
	if err != nil {
		return nil, err
	}
	if err := shapeMovable(x); err != nil {
		return nil, err
	}
	ax, err := ir.NormalizeAxis(n.AttrInt("axis", 0), len(x.Shape))
	if err != nil {
		return nil, err
	}
	var split []int64
	if len(in) > 1 && in[1] != nil {
		if split, err = shapeInts(in[1], "split"); err != nil {
			return nil, err
		}
	} else if a := n.Attr("split"); a != nil {
		split = a.Ints
	}
	sizes, err := ir.SplitSizes(x.Shape[ax], len(n.Outputs), split, n.AttrInt("num_outputs", 0))
	if err != nil {
		return nil, err
	}
	outs := make([]*ir.Tensor, len(sizes))
	lo := int64(0)
	for i, s := range sizes {
		if outs[i], err = shapeSliceAxis(ctx, x, ax, lo, s); err != nil {
			return nil, err
		}
		lo += s
	}
	return outs, nil
}

func shapeEvalSlice(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "data")
	if err != nil {
		return nil, err
	}
	r := len(x.Shape)
	var starts, ends, axes, steps []int64
	if ctx.Opset() < 10 && (len(in) < 2 || in[1] == nil) {
		starts, ends, axes = n.AttrInts("starts", nil), n.AttrInts("ends", nil), n.AttrInts("axes", nil)
		if starts == nil || ends == nil {
			return nil, fmt.Errorf("attributes starts and ends are required before opset 10")
		}
	} else {
		get := func(i int, what string) ([]int64, error) {
			if i >= len(in) || in[i] == nil {
				return nil, nil
			}
			return shapeInts(in[i], what)
		}
		if starts, err = get(1, "starts"); err != nil {
			return nil, err
		}
		if ends, err = get(2, "ends"); err != nil {
			return nil, err
		}
		if axes, err = get(3, "axes"); err != nil {
			return nil, err
		}
		if steps, err = get(4, "steps"); err != nil {
			return nil, err
		}
		if starts == nil || ends == nil {
			return nil, fmt.Errorf("starts and ends are required")
		}
	}
	if len(starts) != len(ends) {
		return nil, fmt.Errorf("starts %v and ends %v differ in length", starts, ends)
	}
	if axes == nil {
		if len(starts) > r {
			return nil, fmt.Errorf("%d starts for rank %d", len(starts), r)
		}
		for i := range starts {
			axes = append(axes, int64(i))
		}
	}
	if len(axes) != len(starts) || (steps != nil && len(steps) != len(starts)) {
		return nil, fmt.Errorf("starts %v, ends %v, axes %v and steps %v differ in length", starts, ends, axes, steps)
	}
	ax, err := ir.NormalizeAxes(axes, r)
	if err != nil {
		return nil, err
	}
	lo := make([]int64, r)
	step := make([]int64, r)
	out := append([]int64{}, x.Shape...)
	for i := range step {
		step[i] = 1
	}
	for i, a := range ax {
		st := int64(1)
		if steps != nil {
			st = steps[i]
		}
		l, _, cnt, err := ir.SliceBounds(starts[i], ends[i], st, x.Shape[a])
		if err != nil {
			return nil, fmt.Errorf("axis %d: %v", a, err)
		}
		lo[a], step[a], out[a] = l, st, cnt
	}
	strides := Strides(x.Shape)
	y, err := shapeMove(ctx, x, out, func(c []int64) int {
		off := int64(0)
		for i, v := range c {
			off += (lo[i] + v*step[i]) * strides[i]
		}
		return int(off)
	})
	return []*ir.Tensor{y}, err
}

func shapeEvalExpand(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "input")
	if err != nil {
		return nil, err
	}
	st, err := shapeNeed(in, 1, "shape")
	if err != nil {
		return nil, err
	}
	if st.DType != ir.Int64 || len(st.Shape) != 1 {
		return nil, fmt.Errorf("shape must be a 1-D i64 tensor, got %s%v", st.DType, st.Shape)
	}
	target := st.Int64s()
	for _, d := range target {
		if d < 0 {
			return nil, fmt.Errorf("shape %v has a negative dim", target)
		}
	}
	out, err := BroadcastShape(x.Shape, target)
	if err != nil {
		return nil, fmt.Errorf("input shape %v does not broadcast to %v", x.Shape, target)
	}
	if err := shapeMovable(x); err != nil {
		return nil, err
	}
	if _, err := ir.NumElements(out); err != nil {
		return nil, err
	}
	// input stride along each output axis; 0 where the input dim is broadcast
	bst := make([]int64, len(out))
	xs := Strides(x.Shape)
	for i, d := range x.Shape {
		if d != 1 {
			bst[len(out)-len(x.Shape)+i] = xs[i]
		}
	}
	y, err := shapeMove(ctx, x, out, func(c []int64) int {
		off := int64(0)
		for i, v := range c {
			off += v * bst[i]
		}
		return int(off)
	})
	return []*ir.Tensor{y}, err
}

func shapeEvalTile(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "input")
	if err != nil {
		return nil, err
	}
	rt, err := shapeNeed(in, 1, "repeats")
	if err != nil {
		return nil, err
	}
	r := len(x.Shape)
	reps := make([]int64, r)
	if len(in) > 2 && in[2] != nil {
		// opset 1: tiles (scalar count) along axis
		tiles, err := shapeInts(rt, "tiles")
		if err != nil {
			return nil, err
		}
		axv, err := shapeInts(in[2], "axis")
		if err != nil {
			return nil, err
		}
		if len(tiles) != 1 || len(axv) != 1 {
			return nil, fmt.Errorf("tiles and axis must be scalars")
		}
		a, err := ir.NormalizeAxis(axv[0], r)
		if err != nil {
			return nil, err
		}
		for i := range reps {
			reps[i] = 1
		}
		reps[a] = tiles[0]
	} else {
		if rt.DType != ir.Int64 || len(rt.Shape) != 1 {
			return nil, fmt.Errorf("repeats must be a 1-D i64 tensor, got %s%v", rt.DType, rt.Shape)
		}
		reps = rt.Int64s()
		if len(reps) != r {
			return nil, fmt.Errorf("repeats %v has %d entries for rank %d", reps, len(reps), r)
		}
	}
	out := make([]int64, r)
	for i, k := range reps {
		if k < 0 {
			return nil, fmt.Errorf("repeats %v has a negative entry", reps)
		}
		out[i] = x.Shape[i] * k
	}
	if _, err := ir.NumElements(out); err != nil {
		return nil, err
	}
	strides := Strides(x.Shape)
	y, err := shapeMove(ctx, x, out, func(c []int64) int {
		off := int64(0)
		for i, v := range c {
			off += (v % x.Shape[i]) * strides[i]
		}
		return int(off)
	})
	return []*ir.Tensor{y}, err
}

// shapeFill sets every element of t to the first element of v (same dtype), or to the float f when
// v is nil.
func shapeFill(t *ir.Tensor, v *ir.Tensor, f float64) {
	n := t.Len()
	if t.DType == ir.String {
		if v != nil && len(v.Strings) > 0 {
			for i := range t.Strings {
				t.Strings[i] = v.Strings[0]
			}
		} else {
			for i := range t.Strings {
				t.Strings[i] = []byte{}
			}
		}
		return
	}
	if v != nil && t.DType.Bits() == 4 {
		for i := 0; i < n; i++ {
			shapeSetNibble(t.Raw, i, shapeNibble(v.Raw, 0))
		}
		return
	}
	if v != nil {
		sz := t.DType.Size()
		for i := 0; i < n; i++ {
			copy(t.Raw[i*sz:(i+1)*sz], v.Raw[:sz])
		}
		return
	}
	if f == 0 || !shapeFloatOK(t.DType) {
		return // callers pass a float fill only for numeric types
	}
	one, _ := ir.NewTensor(t.DType, []int64{1}, 0)
	SetF64s(one, []float64{f})
	shapeFill(t, one, 0)
}

// shapePadIndex maps an out-of-range coordinate i (for a dim of size d) back into range for the
// reflect, edge and wrap pad modes.
func shapePadIndex(i, d int64, mode string) int64 {
	switch mode {
	case "edge":
		return min(max(i, 0), d-1)
	case "wrap":
		return ((i % d) + d) % d
	case "reflect":
		if d == 1 {
			return 0
		}
		p := 2 * (d - 1)
		i = ((i % p) + p) % p
		if i >= d {
			i = p - i
		}
		return i
	}
	return i
}

func shapeEvalPad(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "data")
	if err != nil {
		return nil, err
	}
	if err := shapeMovable(x); err != nil {
		return nil, err
	}
	r := len(x.Shape)
	mode := n.AttrString("mode", "constant")
	var pads, axes []int64
	var cval *ir.Tensor
	fval := 0.0
	if a := n.Attr("pads"); a != nil && (len(in) < 2 || in[1] == nil) {
		pads = a.Ints
		fval = float64(n.AttrFloat("value", 0))
	} else if a := n.Attr("paddings"); a != nil && (len(in) < 2 || in[1] == nil) {
		pads = a.Ints
		fval = float64(n.AttrFloat("value", 0))
	} else {
		pt, err := shapeNeed(in, 1, "pads")
		if err != nil {
			return nil, err
		}
		if pads, err = shapeInts(pt, "pads"); err != nil {
			return nil, err
		}
		if len(in) > 2 && in[2] != nil {
			cval = in[2]
			if cval.DType != x.DType {
				return nil, fmt.Errorf("constant_value has element type %s, data has %s", cval.DType, x.DType)
			}
			if cval.Len() != 1 {
				if cval.Len() == 0 {
					cval = nil // an empty constant_value means the default 0
				} else {
					return nil, fmt.Errorf("constant_value has %d elements, want 1", cval.Len())
				}
			}
		}
		if len(in) > 3 && in[3] != nil {
			if axes, err = shapeInts(in[3], "axes"); err != nil {
				return nil, err
			}
		}
	}
	begin, end, _, err := ir.PadAmounts(pads, axes, r)
	if err != nil {
		return nil, err
	}
	out := make([]int64, r)
	for i := range out {
		out[i] = x.Shape[i] + begin[i] + end[i]
		if out[i] < 0 {
			return nil, fmt.Errorf("pads %v shrink axis %d of size %d below zero", pads, i, x.Shape[i])
		}
	}
	switch mode {
	case "constant":
	case "reflect", "edge", "wrap":
		for i, d := range x.Shape {
			if d == 0 && out[i] > 0 {
				return nil, fmt.Errorf("%s padding of empty axis %d", mode, i)
			}
		}
	default:
		return nil, fmt.Errorf("unknown pad mode %q (want constant, reflect, edge or wrap)", mode)
	}
	y, err := shapeAlloc(ctx, x.DType, out)
	if err != nil {
		return nil, err
	}
	if mode == "constant" {
		if cval == nil && fval != 0 && !shapeFloatOK(x.DType) {
			return nil, Unsupportedf("pad value %g for element type %s", fval, x.DType)
		}
		shapeFill(y, cval, fval)
	}
	strides := Strides(x.Shape)
	shapeMoveInto(y, x, out, func(c []int64) int {
		off := int64(0)
		for i, v := range c {
			j := v - begin[i]
			if j < 0 || j >= x.Shape[i] {
				if mode == "constant" {
					return -1
				}
				j = shapePadIndex(j, x.Shape[i], mode)
			}
			off += j * strides[i]
		}
		return int(off)
	})
	return []*ir.Tensor{y}, nil
}

func shapeEvalDepthToSpace(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "input")
	if err != nil {
		return nil, err
	}
	b := n.AttrInt("blocksize", 0)
	if b <= 0 {
		return nil, fmt.Errorf("blocksize %d must be positive", b)
	}
	if len(x.Shape) != 4 {
		return nil, fmt.Errorf("input has shape %v, want rank 4", x.Shape)
	}
	N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	if C%(b*b) != 0 {
		return nil, fmt.Errorf("channels %d not divisible by blocksize² %d", C, b*b)
	}
	c2 := C / (b * b)
	crd := n.AttrString("mode", "DCR") == "CRD"
	if m := n.AttrString("mode", "DCR"); m != "DCR" && m != "CRD" {
		return nil, fmt.Errorf("unknown mode %q (want DCR or CRD)", m)
	}
	y, err := shapeMove(ctx, x, []int64{N, c2, H * b, W * b}, func(co []int64) int {
		nn, c, h, w := co[0], co[1], co[2], co[3]
		bh, bw := h%b, w%b
		var ci int64
		if crd {
			ci = c*b*b + bh*b + bw
		} else {
			ci = bh*b*c2 + bw*c2 + c
		}
		return int(((nn*C+ci)*H+h/b)*W + w/b)
	})
	return []*ir.Tensor{y}, err
}

func shapeEvalSpaceToDepth(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "input")
	if err != nil {
		return nil, err
	}
	b := n.AttrInt("blocksize", 0)
	if b <= 0 {
		return nil, fmt.Errorf("blocksize %d must be positive", b)
	}
	if len(x.Shape) != 4 {
		return nil, fmt.Errorf("input has shape %v, want rank 4", x.Shape)
	}
	N, C, H, W := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	if H%b != 0 || W%b != 0 {
		return nil, fmt.Errorf("spatial dims %dx%d not divisible by blocksize %d", H, W, b)
	}
	y, err := shapeMove(ctx, x, []int64{N, C * b * b, H / b, W / b}, func(co []int64) int {
		nn, c, h, w := co[0], co[1], co[2], co[3]
		// output channel = (bh*b + bw)*C + ci
		ci := c % C
		blk := c / C
		bh, bw := blk/b, blk%b
		return int(((nn*C+ci)*H+h*b+bh)*W + w*b + bw)
	})
	return []*ir.Tensor{y}, err
}

func shapeEvalCenterCropPad(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "input_data")
	if err != nil {
		return nil, err
	}
	st, err := shapeNeed(in, 1, "shape")
	if err != nil {
		return nil, err
	}
	target, err := shapeInts(st, "shape")
	if err != nil {
		return nil, err
	}
	r := len(x.Shape)
	axes := make([]int, r)
	for i := range axes {
		axes[i] = i
	}
	if a := n.Attr("axes"); a != nil {
		if axes, err = ir.NormalizeAxes(a.Ints, r); err != nil {
			return nil, err
		}
	}
	if len(target) != len(axes) {
		return nil, fmt.Errorf("shape %v has %d entries for %d axes", target, len(target), len(axes))
	}
	out := append([]int64{}, x.Shape...)
	shift := make([]int64, r) // input coordinate = output coordinate + shift
	for i, a := range axes {
		if target[i] < 0 {
			return nil, fmt.Errorf("shape %v has a negative dim", target)
		}
		out[a] = target[i]
		d := x.Shape[a]
		if target[i] <= d {
			shift[a] = (d - target[i]) / 2 // crop: start at floor((d - t)/2)
		} else {
			shift[a] = -((target[i] - d) / 2) // pad: floor((t - d)/2) before
		}
	}
	strides := Strides(x.Shape)
	y, err := shapeMove(ctx, x, out, func(c []int64) int {
		off := int64(0)
		for i, v := range c {
			j := v + shift[i]
			if j < 0 || j >= x.Shape[i] {
				return -1
			}
			off += j * strides[i]
		}
		return int(off)
	})
	return []*ir.Tensor{y}, err
}

// shapeFloatOK reports whether Resize/Upsample can compute on dt (numeric types).
func shapeFloatOK(dt ir.DType) bool {
	switch dt {
	case ir.Float32, ir.Float64, ir.Float16, ir.BFloat16, ir.Int8, ir.Uint8, ir.Int16, ir.Uint16, ir.Int32, ir.Uint32, ir.Int64, ir.Uint64:
		return true
	}
	return false
}

// shapeTap is one source element of a 1-D interpolation with its weight.
type shapeTap struct {
	idx int64
	w   float64
}

// resizeParams are the per-node settings of Resize (and Upsample, which is Resize with
// asymmetric coordinates and floor rounding).
type resizeParams struct {
	mode, ctm, nearest string
	cubicA             float64
	excludeOutside     bool
	extrapolation      float64
	antialias          bool
}

// shapeResizeTaps computes, for every output coordinate along one axis, the weighted input
// elements (nil entry: extrapolation value).
func shapeResizeTaps(p *resizeParams, inLen, outLen int64, scale, roiStart, roiEnd float64) ([][]shapeTap, error) {
	taps := make([][]shapeTap, outLen)
	// the coordinate formulas use the unrounded resized length, as the ONNX reference does
	lenResized := scale * float64(inLen)
	for o := int64(0); o < outLen; o++ {
		xr := float64(o)
		var x float64
		switch p.ctm {
		case "half_pixel":
			x = (xr+0.5)/scale - 0.5
		case "half_pixel_symmetric":
			adj := float64(outLen) / (scale * float64(inLen))
			center := float64(inLen) / 2
			x = center*(1-adj) + (xr+0.5)/scale - 0.5
		case "pytorch_half_pixel":
			if lenResized > 1 {
				x = (xr+0.5)/scale - 0.5
			}
		case "align_corners":
			if lenResized != 1 {
				x = xr * float64(inLen-1) / (lenResized - 1)
			}
		case "asymmetric":
			x = xr / scale
		case "tf_half_pixel_for_nn":
			x = (xr + 0.5) / scale
		case "tf_crop_and_resize":
			if lenResized != 1 {
				x = roiStart*float64(inLen-1) + xr*(roiEnd-roiStart)*float64(inLen-1)/(lenResized-1)
			} else {
				x = 0.5 * (roiStart + roiEnd) * float64(inLen-1)
			}
			if x < 0 || x > float64(inLen-1) {
				continue // extrapolate
			}
		default:
			return nil, Unsupportedf("coordinate_transformation_mode %q", p.ctm)
		}
		clamp := func(i int64) int64 { return min(max(i, 0), inLen-1) }
		switch p.mode {
		case "nearest":
			var i int64
			switch p.nearest {
			case "round_prefer_floor":
				if x == math.Floor(x)+0.5 {
					i = int64(math.Floor(x))
				} else {
					i = int64(math.Round(x))
				}
			case "round_prefer_ceil":
				if x == math.Floor(x)+0.5 {
					i = int64(math.Ceil(x))
				} else {
					i = int64(math.Round(x))
				}
			case "floor":
				i = int64(math.Floor(x))
			case "ceil":
				i = int64(math.Ceil(x))
			default:
				return nil, Unsupportedf("nearest_mode %q", p.nearest)
			}
			taps[o] = []shapeTap{{clamp(i), 1}}
		case "linear", "cubic":
			js, ws := shapeResizeKernel(p, x, scale)
			var t []shapeTap
			sum := 0.0
			for k, j := range js {
				if p.excludeOutside && (j < 0 || j >= inLen) {
					continue
				}
				t = append(t, shapeTap{clamp(j), ws[k]})
				sum += ws[k]
			}
			if p.excludeOutside && sum != 0 {
				for k := range t {
					t[k].w /= sum
				}
			}
			taps[o] = t
		default:
			return nil, Unsupportedf("resize mode %q", p.mode)
		}
	}
	return taps, nil
}

// shapeResizeKernel returns the input positions and weights of linear or cubic interpolation at
// input coordinate x. With antialias the kernel is stretched by 1/scale when downsampling (and
// normalised), as the ONNX reference does.
func shapeResizeKernel(p *resizeParams, x, scale float64) ([]int64, []float64) {
	base := math.Floor(x)
	r := x - base
	if r == 0 {
		// the reference takes the left neighbour with ratio 1 at exact positions; the kernels are
		// symmetric, so this only matters for which edge taps are listed
		base, r = base-1, 1
	}
	i0 := int64(base)
	a := p.cubicA
	cubic := func(d float64) float64 {
		d = math.Abs(d)
		switch {
		case d <= 1:
			return ((a+2)*d-(a+3))*d*d + 1
		case d < 2:
			return ((a*d-5*a)*d+8*a)*d - 4*a
		}
		return 0
	}
	s := 1.0
	if p.antialias {
		s = min(scale, 1)
	}
	var start, end int64 // taps at i0+start .. i0+end-1
	if p.mode == "linear" {
		start = int64(math.Floor(-1/s)) + 1
		end = start + 2 - 2*start
	} else {
		start = int64(math.Floor(-2/s)) + 1
		end = 2 - start
	}
	js := make([]int64, 0, end-start)
	ws := make([]float64, 0, end-start)
	sum := 0.0
	for i := start; i < end; i++ {
		d := (float64(i) - r) * s
		var w float64
		if p.mode == "linear" {
			w = max(1-math.Abs(d), 0)
		} else {
			w = cubic(d)
		}
		js = append(js, i0+i)
		ws = append(ws, w)
		sum += w
	}
	if p.antialias && sum != 0 {
		for k := range ws {
			ws[k] /= sum
		}
	}
	return js, ws
}

// shapeResize resamples x (as float64) to shape out with per-axis scales and roi, axis by axis.
func shapeResize(ctx ir.EvalContext, x *ir.Tensor, p *resizeParams, out []int64, scales, roi []float64) (*ir.Tensor, error) {
	if !shapeFloatOK(x.DType) {
		return nil, Unsupportedf("resize of element type %s", x.DType)
	}
	r := len(x.Shape)
	if _, err := ir.NumElements(out); err != nil {
		return nil, err
	}
	y, err := shapeAlloc(ctx, x.DType, out)
	if err != nil || y.Len() == 0 {
		return y, err
	}
	cur := F64s(x)
	shape := append([]int64{}, x.Shape...)
	// shrinking axes first keeps the float64 intermediates no larger than needed
	order := make([]int, r)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		return float64(out[order[i]])*float64(max(x.Shape[order[j]], 1)) < float64(out[order[j]])*float64(max(x.Shape[order[i]], 1))
	})
	for _, a := range order {
		if shape[a] == out[a] && scales[a] == 1 && p.ctm != "tf_crop_and_resize" {
			continue
		}
		if shape[a] == 0 {
			return nil, fmt.Errorf("cannot resize empty axis %d to %d", a, out[a])
		}
		rs, re := 0.0, 1.0
		if roi != nil {
			rs, re = roi[a], roi[a+r]
		}
		taps, err := shapeResizeTaps(p, shape[a], out[a], scales[a], rs, re)
		if err != nil {
			return nil, err
		}
		outer, inner := int64(1), int64(1)
		for _, d := range shape[:a] {
			outer *= d
		}
		for _, d := range shape[a+1:] {
			inner *= d
		}
		nsh := append([]int64{}, shape...)
		nsh[a] = out[a]
		total, err := ir.NumElements(nsh)
		if err != nil {
			return nil, err
		}
		if total*8 > 1<<34 {
			return nil, fmt.Errorf("%w: resize intermediate %v too large", ErrMemoryLimit, nsh)
		}
		next := make([]float64, total)
		for o := int64(0); o < outer; o++ {
			for j := int64(0); j < out[a]; j++ {
				dst := next[(o*out[a]+j)*inner : (o*out[a]+j+1)*inner]
				t := taps[j]
				if t == nil {
					for i := range dst {
						dst[i] = p.extrapolation
					}
					continue
				}
				for _, tp := range t {
					src := cur[(o*shape[a]+tp.idx)*inner : (o*shape[a]+tp.idx+1)*inner]
					for i := range dst {
						dst[i] += tp.w * src[i]
					}
				}
			}
		}
		cur, shape = next, nsh
	}
	if x.DType.IsInt() {
		// integer outputs round to nearest like the ONNX reference's astype after rounding
		for i, v := range cur {
			cur[i] = math.RoundToEven(v)
		}
	}
	SetF64s(y, cur)
	return y, nil
}

// shapeFloatsIn reads a float tensor as float64s.
func shapeFloatsIn(t *ir.Tensor, what string) ([]float64, error) {
	if !t.DType.IsFloat() {
		return nil, fmt.Errorf("%s has element type %s, want a float type", what, t.DType)
	}
	return F64s(t), nil
}

func shapeEvalResize(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "X")
	if err != nil {
		return nil, err
	}
	p := &resizeParams{
		mode:           n.AttrString("mode", "nearest"),
		ctm:            n.AttrString("coordinate_transformation_mode", "half_pixel"),
		nearest:        n.AttrString("nearest_mode", "round_prefer_floor"),
		cubicA:         float64(n.AttrFloat("cubic_coeff_a", -0.75)),
		excludeOutside: n.AttrInt("exclude_outside", 0) != 0,
		extrapolation:  float64(n.AttrFloat("extrapolation_value", 0)),
		antialias:      n.AttrInt("antialias", 0) != 0,
	}
	r := len(x.Shape)
	get := func(i int) *ir.Tensor {
		if i < len(in) && in[i] != nil && in[i].Len() > 0 {
			return in[i]
		}
		return nil
	}
	var roiT, scalesT, sizesT *ir.Tensor
	if ctx.Opset() < 11 {
		// opset 10: (X, scales), asymmetric coordinates; nearest rounds down
		scalesT = get(1)
		p.ctm, p.nearest = "asymmetric", "floor"
	} else {
		roiT, scalesT, sizesT = get(1), get(2), get(3)
	}
	axes := make([]int, r)
	for i := range axes {
		axes[i] = i
	}
	if a := n.Attr("axes"); a != nil {
		if axes, err = ir.NormalizeAxes(a.Ints, r); err != nil {
			return nil, err
		}
	}
	scales := make([]float64, r)
	out := append([]int64{}, x.Shape...)
	for i := range scales {
		scales[i] = 1
	}
	var roi []float64
	if roiT != nil && p.ctm == "tf_crop_and_resize" {
		v, err := shapeFloatsIn(roiT, "roi")
		if err != nil {
			return nil, err
		}
		if len(v) != 2*len(axes) {
			return nil, fmt.Errorf("roi has %d entries, want %d", len(v), 2*len(axes))
		}
		roi = make([]float64, 2*r)
		for i := 0; i < r; i++ {
			roi[i], roi[i+r] = 0, 1
		}
		for i, a := range axes {
			roi[a], roi[a+r] = v[i], v[i+len(axes)]
		}
	}
	switch {
	case sizesT != nil:
		if scalesT != nil {
			return nil, fmt.Errorf("only one of scales and sizes may be given")
		}
		sizes, err := shapeInts(sizesT, "sizes")
		if err != nil {
			return nil, err
		}
		if len(sizes) != len(axes) {
			return nil, fmt.Errorf("sizes %v has %d entries for %d axes", sizes, len(sizes), len(axes))
		}
		policy := n.AttrString("keep_aspect_ratio_policy", "stretch")
		if policy != "stretch" {
			full, err := ir.ResizeKeepAspect(x.Shape, axes, sizes, policy)
			if err != nil {
				return nil, err
			}
			// the common scale applies to every resized axis
			sc := 0.0
			for i, a := range axes {
				s := float64(sizes[i]) / float64(x.Shape[a])
				if i == 0 || (policy == "not_larger" && s < sc) || (policy == "not_smaller" && s > sc) {
					sc = s
				}
			}
			for _, a := range axes {
				out[a], scales[a] = full[a], sc
			}
		} else {
			for i, a := range axes {
				if sizes[i] < 0 {
					return nil, fmt.Errorf("sizes %v has a negative entry", sizes)
				}
				out[a] = sizes[i]
				if x.Shape[a] > 0 {
					scales[a] = float64(sizes[i]) / float64(x.Shape[a])
				}
			}
		}
	case scalesT != nil:
		sc, err := shapeFloatsIn(scalesT, "scales")
		if err != nil {
			return nil, err
		}
		if len(sc) != len(axes) {
			return nil, fmt.Errorf("scales %v has %d entries for %d axes", sc, len(sc), len(axes))
		}
		for i, a := range axes {
			if sc[i] <= 0 {
				return nil, fmt.Errorf("scales %v has a non-positive entry", sc)
			}
			scales[a] = sc[i]
			f := float64(x.Shape[a]) * sc[i]
			if roi != nil {
				f *= roi[a+r] - roi[a]
			}
			out[a] = int64(math.Floor(f))
		}
	default:
		return nil, fmt.Errorf("one of scales and sizes is required")
	}
	y, err := shapeResize(ctx, x, p, out, scales, roi)
	return []*ir.Tensor{y}, err
}

func shapeEvalUpsample(ctx ir.EvalContext, n *ir.Node, in []*ir.Tensor) ([]*ir.Tensor, error) {
	x, err := shapeNeed(in, 0, "X")
	if err != nil {
		return nil, err
	}
	mode := n.AttrString("mode", "nearest")
	if mode == "bilinear" {
		mode = "linear"
	}
	p := &resizeParams{mode: mode, ctm: "asymmetric", nearest: "floor"}
	r := len(x.Shape)
	var scales []float64
	switch {
	case len(in) > 1 && in[1] != nil:
		if scales, err = shapeFloatsIn(in[1], "scales"); err != nil {
			return nil, err
		}
	case n.Attr("scales") != nil:
		for _, f := range n.AttrFloats("scales", nil) {
			scales = append(scales, float64(f))
		}
	case n.Attr("height_scale") != nil:
		if r != 4 {
			return nil, fmt.Errorf("height_scale/width_scale need a rank-4 input, got shape %v", x.Shape)
		}
		scales = []float64{1, 1, float64(n.AttrFloat("height_scale", 1)), float64(n.AttrFloat("width_scale", 1))}
	default:
		return nil, fmt.Errorf("scales are required")
	}
	if len(scales) != r {
		return nil, fmt.Errorf("scales %v has %d entries for rank %d", scales, len(scales), r)
	}
	out := make([]int64, r)
	for i, s := range scales {
		if s <= 0 {
			return nil, fmt.Errorf("scales %v has a non-positive entry", scales)
		}
		out[i] = int64(math.Floor(float64(x.Shape[i]) * s))
	}
	y, err := shapeResize(ctx, x, p, out, scales, nil)
	return []*ir.Tensor{y}, err
}

// shapePutI64 stores v at element i of an integer or bool tensor (wrapping like a C cast).
func shapePutI64(t *ir.Tensor, i int, v int64) {
	r := t.Raw
	switch t.DType.Size() {
	case 1:
		r[i] = byte(v)
	case 2:
		binary.LittleEndian.PutUint16(r[2*i:], uint16(v))
	case 4:
		binary.LittleEndian.PutUint32(r[4*i:], uint32(v))
	case 8:
		binary.LittleEndian.PutUint64(r[8*i:], uint64(v))
	}
}
