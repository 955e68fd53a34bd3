package ir

import (
	"fmt"
	"math"
)

// Shape-manipulation ops: Shape, Size, Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Concat,
// Split, Slice, Expand, Tile, Pad, DepthToSpace, SpaceToDepth, Resize, Upsample, CenterCropPad.
//
// Their inference hooks propagate symbolic dims, and read shape-carrying inputs (Reshape's target,
// Expand's shape, ...) through ShapeValueOf (shapevalue.go), which follows the small integer
// computations PyTorch exports (Shape → Gather → Unsqueeze → Concat) back to the symbolic dims
// they came from.

func init() {
	RegisterOp(&OpSchema{Name: "Shape", Since: 1, Category: "shape",
		Doc:   "y = the shape of x as a 1-D int64 tensor, optionally sliced to dims [start, end) (opset 15)",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{opt("end", AttrInt), optInt("start", 0)},
		Infer: inferShapeOp})
	RegisterOp(&OpSchema{Name: "Size", Since: 1, Category: "shape",
		Doc:   "y = the number of elements of x as an int64 scalar",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Infer: func(c *InferContext) ([]Type, error) { return []Type{TensorType(Int64, Shape{})}, nil }})
	RegisterOp(&OpSchema{Name: "Reshape", Since: 1, Category: "shape",
		Doc:   "y = x with the same elements in row-major order and the target shape (0 copies the input dim unless allowzero, -1 is inferred)",
		MinIn: 1, MaxIn: 2, MinOut: 1, MaxOut: 1,
		// opset 1 took the shape as an attribute; allowzero since 14
		Attrs: []AttrSpec{optInt("allowzero", 0), opt("consumed_inputs", AttrInts), opt("shape", AttrInts)},
		Infer: inferReshape})
	RegisterOp(&OpSchema{Name: "Flatten", Since: 1, Category: "shape",
		Doc:   "y = x reshaped to 2-D [prod(dims[:axis]), prod(dims[axis:])]",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("axis", 1)},
		Infer: inferFlatten})
	RegisterOp(&OpSchema{Name: "Transpose", Since: 1, Category: "shape",
		Doc:   "y = x with axes permuted: y.shape[i] = x.shape[perm[i]] (default perm reverses the axes)",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{opt("perm", AttrInts)},
		Infer: inferTranspose})
	RegisterOp(&OpSchema{Name: "Squeeze", Since: 1, Category: "shape",
		Doc:   "y = x without the size-1 dims listed in axes (attribute before opset 13, input after; all size-1 dims when absent)",
		MinIn: 1, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{opt("axes", AttrInts)},
		Infer: inferSqueeze})
	RegisterOp(&OpSchema{Name: "Unsqueeze", Since: 1, Category: "shape",
		Doc:   "y = x with size-1 dims inserted at axes of the output (attribute before opset 13, input after)",
		MinIn: 1, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{opt("axes", AttrInts)},
		Infer: inferUnsqueeze})
	RegisterOp(&OpSchema{Name: "Concat", Since: 1, Category: "shape",
		Doc:   "y = the inputs joined along axis (other dims must agree)",
		MinIn: 1, MaxIn: -1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{opt("axis", AttrInt)}, // required since opset 4; opset 1 defaulted to 1
		Infer: inferConcat})
	RegisterOp(&OpSchema{Name: "Split", Since: 1, Category: "shape",
		Doc:   "outputs = x cut along axis into parts of the given lengths (attribute before 13, input after) or into equal parts",
		MinIn: 1, MaxIn: 2, MinOut: 1, MaxOut: -1,
		Attrs: []AttrSpec{optInt("axis", 0), opt("num_outputs", AttrInt), opt("split", AttrInts)},
		Infer: inferSplit})
	RegisterOp(&OpSchema{Name: "Slice", Since: 1, Category: "shape",
		Doc:   "y = x[starts:ends:steps] along axes (attributes before opset 10, inputs after; indices clamp, negative counts from the end)",
		MinIn: 1, MaxIn: 5, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{opt("axes", AttrInts), opt("ends", AttrInts), opt("starts", AttrInts)},
		Infer: inferSlice})
	RegisterOp(&OpSchema{Name: "Expand", Since: 8, Category: "shape",
		Doc:   "y = x broadcast (numpy rules) against the given shape",
		MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Infer: inferExpand})
	RegisterOp(&OpSchema{Name: "Tile", Since: 1, Category: "shape",
		Doc:   "y = x repeated repeats[i] times along each axis i",
		MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 1, // opset 1: (input, tiles, axis)
		Infer: inferTile})
	RegisterOp(&OpSchema{Name: "Pad", Since: 1, Category: "shape",
		Doc:   "y = x padded by pads (begin..., end...) with a constant, or by reflecting, repeating the edge, or wrapping",
		MinIn: 1, MaxIn: 4, MinOut: 1, MaxOut: 1,
		// opset 1: paddings; opset 2..10: pads + value attributes; opset 11+: inputs
		Attrs: []AttrSpec{optString("mode", "constant"), opt("paddings", AttrInts), opt("pads", AttrInts), opt("value", AttrFloat)},
		Infer: inferPad})
	RegisterOp(&OpSchema{Name: "DepthToSpace", Since: 1, Category: "shape",
		Doc:   "y[N, C/b², H·b, W·b] = x[N, C, H, W] with channel blocks moved into space (DCR or CRD order)",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{req("blocksize", AttrInt), optString("mode", "DCR")},
		Infer: inferDepthToSpace})
	RegisterOp(&OpSchema{Name: "SpaceToDepth", Since: 1, Category: "shape",
		Doc:   "y[N, C·b², H/b, W/b] = x[N, C, H, W] with b×b spatial blocks moved into channels",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{req("blocksize", AttrInt)},
		Infer: inferSpaceToDepth})
	RegisterOp(&OpSchema{Name: "Resize", Since: 10, Category: "shape",
		Doc:   "y = x resampled to new sizes (given directly or by scales) by nearest, linear or cubic interpolation",
		MinIn: 1, MaxIn: 4, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{
			optInt("antialias", 0), opt("axes", AttrInts),
			optString("coordinate_transformation_mode", "half_pixel"),
			optFloat("cubic_coeff_a", -0.75), optInt("exclude_outside", 0),
			optFloat("extrapolation_value", 0), optString("keep_aspect_ratio_policy", "stretch"),
			optString("mode", "nearest"), optString("nearest_mode", "round_prefer_floor"),
		},
		Infer: inferResize})
	RegisterOp(&OpSchema{Name: "Upsample", Since: 1, Until: 9, Category: "shape",
		Doc:   "y = x upsampled by per-axis scales with nearest or (bi)linear interpolation (deprecated for Resize)",
		MinIn: 1, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{opt("height_scale", AttrFloat), optString("mode", "nearest"), opt("scales", AttrFloats), opt("width_scale", AttrFloat)},
		Infer: inferUpsample})
	RegisterOp(&OpSchema{Name: "CenterCropPad", Since: 18, Category: "shape",
		Doc:   "y = x center-cropped or zero-padded along axes to the given shape",
		MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{opt("axes", AttrInts)},
		Infer: inferCenterCropPad})
}

// shapeRange returns the dims [start, end) a Shape node selects from a rank-r input (opset 15
// start/end, clamped).
// ShapeRange is the dims [lo, hi) a Shape node (opset 15's start and end attributes, clamped
// as ONNX says) takes of an input of rank r.
func ShapeRange(r int, n *Node) (int, int) {
	clamp := func(v int64) int {
		if v < 0 {
			v += int64(r)
		}
		return int(min(max(v, 0), int64(r)))
	}
	lo := clamp(n.AttrInt("start", 0))
	hi := r
	if a := n.Attr("end"); a != nil {
		hi = clamp(a.I)
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// SliceBounds resolves one axis of an ONNX Slice on a dim of size dim: the clamped start, the
// clamped end and the number of elements taken. step must be nonzero.
func SliceBounds(start, end, step, dim int64) (lo, hi, count int64, err error) {
	if step == 0 {
		return 0, 0, 0, fmt.Errorf("slice step is 0")
	}
	if start < 0 {
		start += dim
	}
	if end < 0 {
		end += dim
	}
	if step > 0 {
		start = min(max(start, 0), dim)
		end = min(max(end, 0), dim)
		if end > start {
			count = (end - start + step - 1) / step
		}
	} else {
		start = min(max(start, -1), dim-1)
		end = min(max(end, -1), dim-1)
		if start > end {
			count = (start - end - step - 1) / -step
		}
	}
	return start, end, count, nil
}

// shapeTensorIn checks that input i is a tensor and returns its type.
func shapeTensorIn(c *InferContext, i int) (Type, error) {
	if i >= len(c.In) {
		return Type{}, fmt.Errorf("input %d is missing", i)
	}
	t := c.In[i]
	if t.Kind != KindTensor && t.Kind != KindUnknown {
		return Type{}, fmt.Errorf("input %d is a %s, want a tensor", i, t)
	}
	return t, nil
}

// shapeInputInts reads a 1-D integer input as constants (possibly followed through shape
// computations). present reports whether the input is given at all.
func shapeInputInts(c *InferContext, i int) (vals []int64, known, present bool) {
	if !c.HasInput(i) {
		return nil, false, false
	}
	if v, ok := c.ConstInt64s(i); ok {
		return v, true, true
	}
	v, ok := ShapeValueOf(c.Node.Inputs[i])
	ints, known := v.Ints()
	return ints, ok && known, true
}

// shapeProduct multiplies dims: concrete when all are, else the product of the symbols (with the
// constant factor; see Dim.Factors), unknown when a dim is unknown (and none is 0).
func shapeProduct(dims Shape) Dim {
	coef := int64(1)
	var syms []string
	unknown := false
	for _, d := range dims {
		c, ss, ok := d.Factors()
		if !ok {
			unknown = true
			continue
		}
		if c != 0 && (coef > math.MaxInt64/c || coef < -math.MaxInt64/c) {
			return UnknownDim()
		}
		coef *= c
		syms = append(syms, ss...)
	}
	switch {
	case coef == 0:
		return D(0)
	case unknown:
		return UnknownDim()
	}
	return ProductDim(coef, syms)
}

func inferShapeOp(c *InferContext) ([]Type, error) {
	t, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	if !t.Ranked {
		return []Type{TensorType(Int64, Shape{UnknownDim()})}, nil
	}
	lo, hi := ShapeRange(len(t.Shape), c.Node)
	return []Type{TensorType(Int64, Shape{D(int64(hi - lo))})}, nil
}

func inferReshape(c *InferContext) ([]Type, error) {
	t, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	out := Type{Kind: KindTensor, DType: t.DType}
	var target []ShapeElem
	if a := c.Node.Attr("shape"); a != nil && !c.HasInput(1) {
		target = knownElems(a.Ints)
	} else if c.HasInput(1) {
		if c.In[1].Kind == KindTensor && c.In[1].DType != Undefined && c.In[1].DType != Int64 {
			return nil, fmt.Errorf("shape input has element type %s, want i64", c.In[1].DType)
		}
		vals, ok := shapeValueOf(c, 1)
		if !ok {
			return []Type{out}, nil
		}
		target = vals
	} else {
		return nil, fmt.Errorf("no target shape (neither input 1 nor the shape attribute)")
	}
	allowZero := c.Node.AttrInt("allowzero", 0) != 0
	shape := make(Shape, len(target))
	inferAt := -1
	copied := map[int]bool{}
	for i, v := range target {
		switch {
		case v.Known && v.N == -1:
			if inferAt >= 0 {
				return nil, fmt.Errorf("target shape has more than one -1")
			}
			inferAt = i
			shape[i] = UnknownDim()
		case v.Known && v.N == 0 && !allowZero:
			if !t.Ranked {
				shape[i] = UnknownDim()
				continue
			}
			if i >= len(t.Shape) {
				return nil, fmt.Errorf("target dim %d is 0 (copy) but the input has rank %d", i, len(t.Shape))
			}
			shape[i] = t.Shape[i]
			copied[i] = true
		case v.Known && v.N < -1:
			return nil, fmt.Errorf("target shape has invalid dim %d", v.N)
		default:
			shape[i] = v.Dim()
		}
	}
	if inferAt >= 0 && t.Ranked {
		if allowZero {
			for _, v := range target {
				if v.Known && v.N == 0 {
					return nil, fmt.Errorf("allowzero reshape with both 0 and -1 in the target shape")
				}
			}
		}
		var rest Shape
		for i, d := range t.Shape {
			if !copied[i] {
				rest = append(rest, d)
			}
		}
		var known Shape
		for i, d := range shape {
			if i != inferAt && !copied[i] {
				known = append(known, d)
			}
		}
		pr, pk := shapeProduct(rest), shapeProduct(known)
		if pr.IsConcrete() && pk.IsConcrete() && (pk.Value == 0 || pr.Value%pk.Value != 0) {
			return nil, fmt.Errorf("cannot reshape %s (%d elements) to %v: the -1 dim is not a whole number", t.Shape, pr.Value, shape)
		}
		shape[inferAt] = shapeQuotient(rest, known)
	}
	if t.Ranked {
		in, out := shapeProduct(t.Shape), shapeProduct(shape)
		if in.IsConcrete() && out.IsConcrete() && in.Value != out.Value {
			return nil, fmt.Errorf("cannot reshape %s (%d elements) to %s (%d elements)", t.Shape, in.Value, shape, out.Value)
		}
	}
	out.Ranked, out.Shape = true, shape
	return []Type{out}, nil
}

// shapeQuotient divides the product of num by the product of den, cancelling equal symbols: a
// concrete size, a single remaining symbol, or unknown.
func shapeQuotient(num, den Shape) Dim {
	syms := map[string]int{}
	pn, pd := int64(1), int64(1)
	for _, d := range num {
		c, ss, ok := d.Factors()
		if !ok {
			return UnknownDim()
		}
		pn *= c
		for _, s := range ss {
			syms[s]++
		}
	}
	for _, d := range den {
		c, ss, ok := d.Factors()
		if !ok {
			return UnknownDim()
		}
		pd *= c
		for _, s := range ss {
			if syms[s] == 0 {
				return UnknownDim()
			}
			syms[s]--
		}
	}
	var left []string
	for s, k := range syms {
		for ; k > 0; k-- {
			left = append(left, s)
		}
	}
	if pd == 0 || pn%pd != 0 {
		return UnknownDim()
	}
	return ProductDim(pn/pd, left)
}

func inferFlatten(c *InferContext) ([]Type, error) {
	t, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	out := TensorType(t.DType, Shape{UnknownDim(), UnknownDim()})
	if !t.Ranked {
		return []Type{out}, nil
	}
	r := len(t.Shape)
	axis := c.Node.AttrInt("axis", 1)
	if axis < -int64(r) || axis > int64(r) {
		return nil, fmt.Errorf("axis %d out of range for rank %d", axis, r)
	}
	if axis < 0 {
		axis += int64(r)
	}
	out.Shape = Shape{shapeProduct(t.Shape[:axis]), shapeProduct(t.Shape[axis:])}
	return []Type{out}, nil
}

// TransposePerm returns the permutation of a Transpose node for rank r (default: reversed),
// checking that it is one.
func TransposePerm(n *Node, r int) ([]int, error) {
	perm := make([]int, r)
	p := n.AttrInts("perm", nil)
	if p == nil {
		for i := range perm {
			perm[i] = r - 1 - i
		}
		return perm, nil
	}
	if len(p) != r {
		return nil, fmt.Errorf("perm %v has %d entries for rank %d", p, len(p), r)
	}
	seen := make([]bool, r)
	for i, v := range p {
		if v < 0 || v >= int64(r) || seen[v] {
			return nil, fmt.Errorf("perm %v is not a permutation of 0..%d", p, r-1)
		}
		seen[v] = true
		perm[i] = int(v)
	}
	return perm, nil
}

func inferTranspose(c *InferContext) ([]Type, error) {
	t, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	if !t.Ranked {
		if p := c.Node.AttrInts("perm", nil); p != nil {
			return []Type{TensorType(t.DType, make(Shape, len(p)))}, shapeUnknownDims(make(Shape, len(p)))
		}
		return []Type{UnrankedTensor(t.DType)}, nil
	}
	perm, err := TransposePerm(c.Node, len(t.Shape))
	if err != nil {
		return nil, err
	}
	s := make(Shape, len(perm))
	for i, p := range perm {
		s[i] = t.Shape[p]
	}
	return []Type{TensorType(t.DType, s)}, nil
}

// shapeUnknownDims marks every dim of s unknown (returns nil so it can sit in a return list).
func shapeUnknownDims(s Shape) error {
	for i := range s {
		s[i] = UnknownDim()
	}
	return nil
}

// shapeAxes returns the axes of an op that takes them as an attribute before opset `since` and
// as input `input` from then on. present is false when no axes are given; known is false when
// they are given by a non-constant input.
func shapeAxes(c *InferContext, input int, since int64) (axes []int64, known, present bool) {
	if c.Opset >= since || c.HasInput(input) {
		if !c.HasInput(input) {
			return nil, true, false
		}
		v, ok, _ := shapeInputInts(c, input)
		return v, ok, true
	}
	if a := c.Node.Attr("axes"); a != nil {
		return a.Ints, true, true
	}
	return nil, true, false
}

// NormalizeAxes normalises axes against rank r, rejecting out-of-range and repeated ones.
func NormalizeAxes(axes []int64, r int) ([]int, error) {
	out := make([]int, len(axes))
	seen := map[int]bool{}
	for i, a := range axes {
		n, err := NormalizeAxis(a, r)
		if err != nil {
			return nil, err
		}
		if seen[n] {
			return nil, fmt.Errorf("axis %d repeated in %v", a, axes)
		}
		seen[n] = true
		out[i] = n
	}
	return out, nil
}

func inferSqueeze(c *InferContext) ([]Type, error) {
	t, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	axes, known, present := shapeAxes(c, 1, 13)
	if !t.Ranked || !known {
		if t.Ranked && present && c.In[1].Ranked && len(c.In[1].Shape) == 1 && c.In[1].Shape[0].IsConcrete() {
			s := make(Shape, max(len(t.Shape)-int(c.In[1].Shape[0].Value), 0))
			return []Type{TensorType(t.DType, s)}, shapeUnknownDims(s)
		}
		return []Type{UnrankedTensor(t.DType)}, nil
	}
	drop := make([]bool, len(t.Shape))
	if !present {
		for i, d := range t.Shape {
			if !d.IsConcrete() {
				return []Type{UnrankedTensor(t.DType)}, nil
			}
			drop[i] = d.Value == 1
		}
	} else {
		ax, err := NormalizeAxes(axes, len(t.Shape))
		if err != nil {
			return nil, err
		}
		for _, a := range ax {
			if d := t.Shape[a]; d.IsConcrete() && d.Value != 1 {
				return nil, fmt.Errorf("cannot squeeze axis %d of size %d (shape %s)", a, d.Value, t.Shape)
			}
			drop[a] = true
		}
	}
	s := Shape{}
	for i, d := range t.Shape {
		if !drop[i] {
			s = append(s, d)
		}
	}
	return []Type{TensorType(t.DType, s)}, nil
}

func inferUnsqueeze(c *InferContext) ([]Type, error) {
	t, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	axes, known, present := shapeAxes(c, 1, 13)
	if !present {
		return nil, fmt.Errorf("axes are required")
	}
	if !t.Ranked {
		return []Type{UnrankedTensor(t.DType)}, nil
	}
	if !known {
		if c.In[1].Ranked && len(c.In[1].Shape) == 1 && c.In[1].Shape[0].IsConcrete() {
			s := make(Shape, len(t.Shape)+int(c.In[1].Shape[0].Value))
			return []Type{TensorType(t.DType, s)}, shapeUnknownDims(s)
		}
		return []Type{UnrankedTensor(t.DType)}, nil
	}
	r := len(t.Shape) + len(axes)
	ax, err := NormalizeAxes(axes, r)
	if err != nil {
		return nil, err
	}
	ins := make([]bool, r)
	for _, a := range ax {
		ins[a] = true
	}
	s := make(Shape, r)
	j := 0
	for i := range s {
		if ins[i] {
			s[i] = D(1)
		} else {
			s[i] = t.Shape[j]
			j++
		}
	}
	return []Type{TensorType(t.DType, s)}, nil
}

// shapeMergeDim combines two dims that must be equal: concrete wins over symbolic over unknown.
func shapeMergeDim(a, b Dim) (Dim, error) {
	switch {
	case a.IsConcrete() && b.IsConcrete():
		if a.Value != b.Value {
			return Dim{}, fmt.Errorf("%d vs %d", a.Value, b.Value)
		}
		return a, nil
	case a.IsConcrete():
		return a, nil
	case b.IsConcrete():
		return b, nil
	case a.IsSymbolic():
		return a, nil
	}
	return b, nil
}

func inferConcat(c *InferContext) ([]Type, error) {
	out := Type{Kind: KindTensor}
	var shape Shape
	ranked := false
	axisAttr := c.Node.Attr("axis")
	axis := int64(1) // opset 1 default
	if axisAttr != nil {
		axis = axisAttr.I
	} else if c.Opset >= 4 {
		return nil, fmt.Errorf("attribute axis is required")
	}
	ax := -1
	var sum Shape
	allRanked := true
	for i, t := range c.In {
		if c.Node.Inputs[i] == nil {
			return nil, fmt.Errorf("input %d is missing", i)
		}
		if t.Kind != KindTensor && t.Kind != KindUnknown {
			return nil, fmt.Errorf("input %d is a %s, want a tensor", i, t)
		}
		if out.DType == Undefined {
			out.DType = t.DType
		} else if t.DType != Undefined && t.DType != out.DType {
			return nil, fmt.Errorf("input %d has element type %s, input 0 has %s", i, t.DType, out.DType)
		}
		if !t.Ranked {
			allRanked = false
			continue
		}
		if !ranked {
			ranked = true
			a, err := NormalizeAxis(axis, len(t.Shape))
			if err != nil {
				return nil, err
			}
			ax = a
			shape = t.Shape.Clone()
			sum = Shape{t.Shape[ax]}
			continue
		}
		if len(t.Shape) != len(shape) {
			return nil, fmt.Errorf("input %d has rank %d, others have rank %d", i, len(t.Shape), len(shape))
		}
		for j := range shape {
			if j == ax {
				continue
			}
			d, err := shapeMergeDim(shape[j], t.Shape[j])
			if err != nil {
				return nil, fmt.Errorf("input %d dim %d does not match: %v", i, j, err)
			}
			shape[j] = d
		}
		sum = append(sum, t.Shape[ax])
	}
	if ranked {
		out.Ranked, out.Shape = true, shape
		out.Shape[ax] = UnknownDim()
		if allRanked {
			out.Shape[ax] = shapeSum(sum)
		}
	}
	return []Type{out}, nil
}

// shapeSum adds dims: concrete when all are; a symbol plus zeros stays the symbol; else unknown.
func shapeSum(ds Shape) Dim {
	s := int64(0)
	var sym Dim
	nsym := 0
	for _, d := range ds {
		switch {
		case d.IsConcrete():
			s += d.Value
		case d.IsSymbolic():
			sym = d
			nsym++
		default:
			return UnknownDim()
		}
	}
	switch {
	case nsym == 0:
		return D(s)
	case nsym == 1 && s == 0:
		return sym
	}
	return UnknownDim()
}

// SplitSizes returns the part lengths of a Split of a dim of size dim into nout outputs given
// explicit split lengths (nil when absent) and the opset-18 num_outputs attribute (0 when absent).
func SplitSizes(dim int64, nout int, split []int64, numOutputs int64) ([]int64, error) {
	if split != nil {
		if len(split) != nout {
			return nil, fmt.Errorf("split %v has %d entries for %d outputs", split, len(split), nout)
		}
		s := int64(0)
		for _, v := range split {
			if v < 0 {
				return nil, fmt.Errorf("split %v has a negative length", split)
			}
			s += v
		}
		if s != dim {
			return nil, fmt.Errorf("split %v sums to %d, but the axis has size %d", split, s, dim)
		}
		return split, nil
	}
	if nout <= 0 {
		return nil, fmt.Errorf("split into %d outputs", nout)
	}
	out := make([]int64, nout)
	if numOutputs > 0 {
		if int64(nout) != numOutputs {
			return nil, fmt.Errorf("num_outputs is %d but the node has %d outputs", numOutputs, nout)
		}
		chunk := (dim + numOutputs - 1) / numOutputs
		left := dim
		for i := range out {
			out[i] = min(chunk, left)
			left -= out[i]
		}
		return out, nil
	}
	if dim%int64(nout) != 0 {
		return nil, fmt.Errorf("axis of size %d does not split into %d equal parts", dim, nout)
	}
	for i := range out {
		out[i] = dim / int64(nout)
	}
	return out, nil
}

func inferSplit(c *InferContext) ([]Type, error) {
	t, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	nout := len(c.Node.Outputs)
	outs := make([]Type, nout)
	for i := range outs {
		outs[i] = UnrankedTensor(t.DType)
	}
	if !t.Ranked {
		return outs, nil
	}
	ax, err := NormalizeAxis(c.Node.AttrInt("axis", 0), len(t.Shape))
	if err != nil {
		return nil, err
	}
	var split []int64
	known := true
	if a := c.Node.Attr("split"); a != nil {
		split = a.Ints
	} else if c.HasInput(1) {
		split, known, _ = shapeInputInts(c, 1)
	}
	numOut := c.Node.AttrInt("num_outputs", 0)
	if numOut > 0 && c.HasInput(1) {
		return nil, fmt.Errorf("both the split input and num_outputs are given")
	}
	d := t.Shape[ax]
	var sizes []int64
	if known && (d.IsConcrete() || split != nil) {
		dim := d.Value
		if !d.IsConcrete() {
			dim = 0
			for _, v := range split {
				dim += v
			}
		}
		s, err := SplitSizes(dim, nout, split, numOut)
		if err != nil {
			return nil, err
		}
		sizes = s
	}
	for i := range outs {
		s := t.Shape.Clone()
		s[ax] = UnknownDim()
		if sizes != nil {
			s[ax] = D(sizes[i])
		} else if nout == 1 {
			s[ax] = d
		}
		outs[i] = TensorType(t.DType, s)
	}
	return outs, nil
}

func inferSlice(c *InferContext) ([]Type, error) {
	t, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	if !t.Ranked {
		return []Type{UnrankedTensor(t.DType)}, nil
	}
	r := len(t.Shape)
	unknown := func() ([]Type, error) {
		s := make(Shape, r)
		return []Type{TensorType(t.DType, s)}, shapeUnknownDims(s)
	}
	var starts, ends []ShapeElem
	var axes, steps []int64
	if c.Opset < 10 && !c.HasInput(1) {
		sa, ea := c.Node.Attr("starts"), c.Node.Attr("ends")
		if sa == nil || ea == nil {
			return nil, fmt.Errorf("attributes starts and ends are required before opset 10")
		}
		starts, ends = knownElems(sa.Ints), knownElems(ea.Ints)
		axes = c.Node.AttrInts("axes", nil)
	} else {
		if !c.HasInput(1) || !c.HasInput(2) {
			return nil, fmt.Errorf("inputs starts and ends are required")
		}
		var ok1, ok2 bool
		starts, ok1 = shapeValueOf(c, 1)
		ends, ok2 = shapeValueOf(c, 2)
		ax, k3, p3 := shapeInputInts(c, 3)
		st, k4, p4 := shapeInputInts(c, 4)
		if p3 && !k3 {
			return unknown() // which axes change is not known
		}
		if !ok1 || !ok2 || (p4 && !k4) {
			if p3 {
				// only the listed axes change
				s := t.Shape.Clone()
				for _, a := range ax {
					if n, err := NormalizeAxis(a, r); err == nil {
						s[n] = UnknownDim()
					}
				}
				return []Type{TensorType(t.DType, s)}, nil
			}
			return unknown()
		}
		axes, steps = ax, st
	}
	if len(starts) != len(ends) {
		return nil, fmt.Errorf("starts and ends differ in length (%d vs %d)", len(starts), len(ends))
	}
	if axes == nil {
		if len(starts) > r {
			return nil, fmt.Errorf("%d starts for rank %d", len(starts), r)
		}
		axes = make([]int64, len(starts))
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	if len(axes) != len(starts) {
		return nil, fmt.Errorf("axes %v and starts differ in length (%d vs %d)", axes, len(axes), len(starts))
	}
	if steps != nil && len(steps) != len(starts) {
		return nil, fmt.Errorf("steps %v and starts differ in length (%d vs %d)", steps, len(steps), len(starts))
	}
	ax, err := NormalizeAxes(axes, r)
	if err != nil {
		return nil, err
	}
	s := t.Shape.Clone()
	for i, a := range ax {
		step := int64(1)
		if steps != nil {
			step = steps[i]
		}
		if step == 0 {
			return nil, fmt.Errorf("step of axis %d is 0", a)
		}
		d, st, en := t.Shape[a], starts[i], ends[i]
		if d.IsConcrete() && st.Known && en.Known {
			_, _, cnt, _ := SliceBounds(st.N, en.N, step, d.Value)
			s[a] = D(cnt)
			continue
		}
		// a full forward slice keeps the (symbolic) dim: x[0:INT_MAX] or x[0:dim]
		full := step == 1 && st.Known && st.N == 0 &&
			((en.Known && en.N >= math.MaxInt32) || (en.Sym != "" && en.Sym == d.Param))
		if !full {
			s[a] = UnknownDim()
		}
	}
	return []Type{TensorType(t.DType, s)}, nil
}

func inferExpand(c *InferContext) ([]Type, error) {
	t, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	vals, ok := shapeValueOf(c, 1)
	if !ok {
		return []Type{UnrankedTensor(t.DType)}, nil
	}
	target := make(Shape, len(vals))
	for i, v := range vals {
		if v.Known && v.N < 0 {
			return nil, fmt.Errorf("shape has negative dim %d", v.N)
		}
		target[i] = v.Dim()
	}
	if !t.Ranked {
		return []Type{UnrankedTensor(t.DType)}, nil // the rank is max(rank(x), len(shape))
	}
	s, err := shapeExpand(t.Shape, target)
	if err != nil {
		return nil, err
	}
	return []Type{TensorType(t.DType, s)}, nil
}

// shapeExpand broadcasts an input shape against an Expand target, where a target dim of 1 keeps
// the input dim.
func shapeExpand(in, target Shape) (Shape, error) {
	r := max(len(in), len(target))
	out := make(Shape, r)
	for i := range out {
		a, b := D(1), D(1)
		if j := i - (r - len(in)); j >= 0 {
			a = in[j]
		}
		if j := i - (r - len(target)); j >= 0 {
			b = target[j]
		}
		switch {
		case a.IsConcrete() && b.IsConcrete():
			switch {
			case a.Value == b.Value || b.Value == 1:
				out[i] = a
			case a.Value == 1:
				out[i] = b
			default:
				return nil, fmt.Errorf("input shape %s does not broadcast to %s (dim %d: %d vs %d)", in, target, i, a.Value, b.Value)
			}
		case b.IsConcrete() && b.Value == 1:
			out[i] = a
		case a.IsConcrete() && a.Value == 1:
			out[i] = b
		case a.IsConcrete():
			out[i] = a
		case b.IsConcrete():
			out[i] = b
		case a == b:
			out[i] = a
		default:
			out[i] = UnknownDim()
		}
	}
	return out, nil
}

func inferTile(c *InferContext) ([]Type, error) {
	t, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	if !t.Ranked {
		return []Type{UnrankedTensor(t.DType)}, nil
	}
	s := t.Shape.Clone()
	if c.Opset < 6 && c.HasInput(2) {
		// opset 1: tiles (a scalar count) along axis
		tiles, ok1, _ := shapeInputInts(c, 1)
		ax, ok2, _ := shapeInputInts(c, 2)
		if !ok1 || !ok2 || len(tiles) != 1 || len(ax) != 1 {
			return []Type{TensorType(t.DType, s)}, shapeUnknownDims(s)
		}
		a, err := NormalizeAxis(ax[0], len(s))
		if err != nil {
			return nil, err
		}
		s[a] = shapeScale(s[a], tiles[0])
		return []Type{TensorType(t.DType, s)}, nil
	}
	reps, ok, _ := shapeInputInts(c, 1)
	if !ok {
		return []Type{TensorType(t.DType, s)}, shapeUnknownDims(s)
	}
	if len(reps) != len(s) {
		return nil, fmt.Errorf("repeats %v has %d entries for rank %d", reps, len(reps), len(s))
	}
	for i, r := range reps {
		if r < 0 {
			return nil, fmt.Errorf("repeats %v has a negative entry", reps)
		}
		s[i] = shapeScale(s[i], r)
	}
	return []Type{TensorType(t.DType, s)}, nil
}

// shapeScale multiplies a dim by a known count.
func shapeScale(d Dim, k int64) Dim {
	switch {
	case k == 1:
		return d
	case k == 0:
		return D(0)
	case d.IsConcrete():
		return D(d.Value * k)
	}
	return UnknownDim()
}

// shapeAddDim adds a known amount to a dim (symbols survive +0).
func shapeAddDim(d Dim, k int64) Dim {
	switch {
	case k == 0:
		return d
	case d.IsConcrete():
		return D(d.Value + k)
	}
	return UnknownDim()
}

// padSpec returns the pads of a Pad node for rank r as begin/end amounts per axis, reading the
// attributes (opset < 11) or the constant pads and axes inputs (opset >= 11); ok is false when
// they are not constant.
func padSpec(c *InferContext, r int) (begin, end []int64, ok bool, err error) {
	var pads []int64
	var axes []int64
	if a := c.Node.Attr("pads"); a != nil {
		pads = a.Ints
	} else if a := c.Node.Attr("paddings"); a != nil {
		pads = a.Ints
	} else {
		p, known, present := shapeInputInts(c, 1)
		if !present {
			return nil, nil, false, fmt.Errorf("pads are required")
		}
		if !known {
			return nil, nil, false, nil
		}
		pads = p
		if ax, known, present := shapeInputInts(c, 3); present {
			if !known {
				return nil, nil, false, nil
			}
			axes = ax
		}
	}
	return PadAmounts(pads, axes, r)
}

// PadAmounts maps ONNX pads (all begins, then all ends) over axes (nil: all axes) onto per-axis
// begin and end amounts for rank r.
func PadAmounts(pads, axes []int64, r int) (begin, end []int64, ok bool, err error) {
	if axes == nil {
		axes = make([]int64, r)
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	if len(pads) != 2*len(axes) {
		return nil, nil, false, fmt.Errorf("pads %v has %d entries, want %d (2 per padded axis)", pads, len(pads), 2*len(axes))
	}
	ax, err := NormalizeAxes(axes, r)
	if err != nil {
		return nil, nil, false, err
	}
	begin, end = make([]int64, r), make([]int64, r)
	for i, a := range ax {
		begin[a], end[a] = pads[i], pads[i+len(ax)]
	}
	return begin, end, true, nil
}

func inferPad(c *InferContext) ([]Type, error) {
	t, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	switch m := c.Node.AttrString("mode", "constant"); m {
	case "constant", "reflect", "edge", "wrap":
	default:
		return nil, fmt.Errorf("unknown pad mode %q (want constant, reflect, edge or wrap)", m)
	}
	if !t.Ranked {
		return []Type{UnrankedTensor(t.DType)}, nil
	}
	s := t.Shape.Clone()
	begin, end, ok, err := padSpec(c, len(s))
	if err != nil {
		return nil, err
	}
	if !ok {
		return []Type{TensorType(t.DType, s)}, shapeUnknownDims(s)
	}
	for i := range s {
		s[i] = shapeAddDim(s[i], begin[i]+end[i])
		if s[i].IsConcrete() && s[i].Value < 0 {
			return nil, fmt.Errorf("pads shrink axis %d of size %d below zero", i, t.Shape[i].Value)
		}
	}
	return []Type{TensorType(t.DType, s)}, nil
}

func inferDepthToSpace(c *InferContext) ([]Type, error) {
	return shapeBlockInfer(c, true)
}

func inferSpaceToDepth(c *InferContext) ([]Type, error) {
	return shapeBlockInfer(c, false)
}

// shapeBlockInfer is the inference of DepthToSpace (toSpace) and SpaceToDepth.
func shapeBlockInfer(c *InferContext, toSpace bool) ([]Type, error) {
	t, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	b := c.Node.AttrInt("blocksize", 0)
	if b <= 0 {
		return nil, fmt.Errorf("blocksize %d must be positive", b)
	}
	if m := c.Node.AttrString("mode", "DCR"); m != "DCR" && m != "CRD" {
		return nil, fmt.Errorf("unknown mode %q (want DCR or CRD)", m)
	}
	if !t.Ranked {
		s := make(Shape, 4)
		return []Type{TensorType(t.DType, s)}, shapeUnknownDims(s)
	}
	if len(t.Shape) != 4 {
		return nil, fmt.Errorf("input has rank %d, want 4 (N, C, H, W)", len(t.Shape))
	}
	s := t.Shape.Clone()
	div := func(d Dim) (Dim, error) {
		if !d.IsConcrete() {
			return UnknownDim(), nil
		}
		bb := b
		if toSpace {
			bb = b * b
		}
		if d.Value%bb != 0 {
			return Dim{}, fmt.Errorf("dim %d is not divisible by %d", d.Value, bb)
		}
		return D(d.Value / bb), nil
	}
	if toSpace {
		if s[1], err = div(s[1]); err != nil {
			return nil, err
		}
		s[2], s[3] = shapeScale(s[2], b), shapeScale(s[3], b)
	} else {
		for _, i := range []int{2, 3} {
			if s[i], err = div(s[i]); err != nil {
				return nil, err
			}
		}
		s[1] = shapeScale(s[1], b*b)
	}
	return []Type{TensorType(t.DType, s)}, nil
}

// shapeConstTensor returns the data of input i when it is an initializer or the output of a
// (dense) Constant node, else nil.
func shapeConstTensor(c *InferContext, i int) *Tensor {
	if i < len(c.Consts) && c.Consts[i] != nil {
		if c.Consts[i].Validate() != nil {
			return nil
		}
		return c.Consts[i]
	}
	if !c.HasInput(i) {
		return nil
	}
	if d := c.Node.Inputs[i].Def; d != nil && d.Op == "Constant" && d.Domain == "" && d.Attr("sparse_value") == nil {
		if t, err := ConstantValue(d); err == nil {
			return t
		}
	}
	return nil
}

// shapeEmptyInput reports whether input i is given but holds no elements (Resize's way of
// leaving roi or scales out).
func shapeEmptyInput(c *InferContext, i int) bool {
	if !c.HasInput(i) {
		return false
	}
	if t := shapeConstTensor(c, i); t != nil {
		return t.Len() == 0
	}
	s, ok := c.RankedIn(i)
	return ok && len(s) == 1 && s[0].IsConcrete() && s[0].Value == 0
}

// shapeConstFloats reads a constant float input (float32/float64/float16).
func shapeConstFloats(c *InferContext, i int) ([]float64, bool) {
	t := shapeConstTensor(c, i)
	if t == nil || !t.DType.IsFloat() {
		return nil, false
	}
	out := make([]float64, t.Len())
	for k := range out {
		out[k] = t.Float64At(k)
	}
	return out, true
}

func inferResize(c *InferContext) ([]Type, error) {
	t, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	n := c.Node
	switch m := n.AttrString("mode", "nearest"); m {
	case "nearest", "linear", "cubic":
	default:
		return nil, fmt.Errorf("unknown mode %q (want nearest, linear or cubic)", m)
	}
	switch m := n.AttrString("coordinate_transformation_mode", "half_pixel"); m {
	case "half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn", "tf_crop_and_resize":
	default:
		return nil, fmt.Errorf("unknown coordinate_transformation_mode %q", m)
	}
	switch m := n.AttrString("nearest_mode", "round_prefer_floor"); m {
	case "round_prefer_floor", "round_prefer_ceil", "floor", "ceil":
	default:
		return nil, fmt.Errorf("unknown nearest_mode %q (want round_prefer_floor, round_prefer_ceil, floor or ceil)", m)
	}
	switch m := n.AttrString("keep_aspect_ratio_policy", "stretch"); m {
	case "stretch", "not_larger", "not_smaller":
	default:
		return nil, fmt.Errorf("unknown keep_aspect_ratio_policy %q (want stretch, not_larger or not_smaller)", m)
	}
	if !t.Ranked {
		return []Type{UnrankedTensor(t.DType)}, nil
	}
	r := len(t.Shape)
	scalesIn, sizesIn := 2, 3
	if c.Opset < 11 {
		scalesIn, sizesIn = 1, -1
	}
	axes := make([]int, r)
	for i := range axes {
		axes[i] = i
	}
	if a := n.Attr("axes"); a != nil {
		ax, err := NormalizeAxes(a.Ints, r)
		if err != nil {
			return nil, err
		}
		axes = ax
	}
	s := t.Shape.Clone()
	if sizesIn > 0 && c.HasInput(sizesIn) {
		if c.HasInput(scalesIn) && !shapeEmptyInput(c, scalesIn) {
			return nil, fmt.Errorf("only one of scales and sizes may be given")
		}
		sizes, ok, _ := shapeInputInts(c, sizesIn)
		if !ok {
			for _, a := range axes {
				s[a] = UnknownDim()
			}
			return []Type{TensorType(t.DType, s)}, nil
		}
		if len(sizes) != len(axes) {
			return nil, fmt.Errorf("sizes %v has %d entries for %d axes", sizes, len(sizes), len(axes))
		}
		policy := n.AttrString("keep_aspect_ratio_policy", "stretch")
		if policy != "stretch" {
			for _, a := range axes {
				s[a] = UnknownDim()
			}
			in := make([]int64, r)
			ok := true
			for _, a := range axes {
				ok = ok && t.Shape[a].IsConcrete()
				in[a] = t.Shape[a].Value
			}
			if ok {
				out, err := ResizeKeepAspect(in, axes, sizes, policy)
				if err != nil {
					return nil, err
				}
				for _, a := range axes {
					s[a] = D(out[a])
				}
			}
			return []Type{TensorType(t.DType, s)}, nil
		}
		for i, a := range axes {
			s[a] = D(sizes[i])
		}
		return []Type{TensorType(t.DType, s)}, nil
	}
	if !c.HasInput(scalesIn) || shapeEmptyInput(c, scalesIn) {
		return nil, fmt.Errorf("one of scales and sizes is required")
	}
	scales, ok := shapeConstFloats(c, scalesIn)
	if !ok {
		for _, a := range axes {
			s[a] = UnknownDim()
		}
		return []Type{TensorType(t.DType, s)}, nil
	}
	if len(scales) != len(axes) {
		return nil, fmt.Errorf("scales %v has %d entries for %d axes", scales, len(scales), len(axes))
	}
	cropResize := n.AttrString("coordinate_transformation_mode", "half_pixel") == "tf_crop_and_resize"
	for i, a := range axes {
		if cropResize && scales[i] != 1 {
			s[a] = UnknownDim() // the size also depends on roi
			continue
		}
		s[a] = shapeScaleFloat(s[a], scales[i])
	}
	return []Type{TensorType(t.DType, s)}, nil
}

// shapeScaleFloat is floor(d * scale) for a concrete dim; a symbol survives a scale of 1.
func shapeScaleFloat(d Dim, scale float64) Dim {
	switch {
	case scale == 1:
		return d
	case d.IsConcrete():
		return D(int64(math.Floor(float64(d.Value) * scale)))
	}
	return UnknownDim()
}

// ResizeKeepAspect computes Resize output sizes (for every axis of in) under the
// not_larger/not_smaller keep_aspect_ratio_policy.
func ResizeKeepAspect(in []int64, axes []int, sizes []int64, policy string) ([]int64, error) {
	out := append([]int64{}, in...)
	scale := 0.0
	for i, a := range axes {
		if in[a] == 0 {
			continue
		}
		sc := float64(sizes[i]) / float64(in[a])
		switch {
		case i == 0:
			scale = sc
		case policy == "not_larger":
			scale = min(scale, sc)
		case policy == "not_smaller":
			scale = max(scale, sc)
		default:
			return nil, fmt.Errorf("unknown keep_aspect_ratio_policy %q", policy)
		}
	}
	if policy != "not_larger" && policy != "not_smaller" {
		return nil, fmt.Errorf("unknown keep_aspect_ratio_policy %q", policy)
	}
	for _, a := range axes {
		out[a] = int64(math.Round(scale * float64(in[a])))
	}
	return out, nil
}

func inferUpsample(c *InferContext) ([]Type, error) {
	t, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	if m := c.Node.AttrString("mode", "nearest"); m != "nearest" && m != "linear" && m != "bilinear" {
		return nil, fmt.Errorf("unknown mode %q (want nearest or linear)", m)
	}
	if !t.Ranked {
		return []Type{UnrankedTensor(t.DType)}, nil
	}
	s := t.Shape.Clone()
	var scales []float64
	if a := c.Node.Attr("scales"); a != nil {
		for _, f := range a.Floats {
			scales = append(scales, float64(f))
		}
	} else if h := c.Node.Attr("height_scale"); h != nil {
		if len(s) != 4 {
			return nil, fmt.Errorf("height_scale/width_scale need a rank-4 input, got rank %d", len(s))
		}
		scales = []float64{1, 1, float64(h.F), float64(c.Node.AttrFloat("width_scale", 1))}
	} else if v, ok := shapeConstFloats(c, 1); ok {
		scales = v
	} else {
		return []Type{TensorType(t.DType, s)}, shapeUnknownDims(s)
	}
	if len(scales) != len(s) {
		return nil, fmt.Errorf("scales %v has %d entries for rank %d", scales, len(scales), len(s))
	}
	for i := range s {
		s[i] = shapeScaleFloat(s[i], scales[i])
	}
	return []Type{TensorType(t.DType, s)}, nil
}

func inferCenterCropPad(c *InferContext) ([]Type, error) {
	t, err := shapeTensorIn(c, 0)
	if err != nil {
		return nil, err
	}
	if !t.Ranked {
		return []Type{UnrankedTensor(t.DType)}, nil
	}
	s := t.Shape.Clone()
	axes := make([]int, len(s))
	for i := range axes {
		axes[i] = i
	}
	if a := c.Node.Attr("axes"); a != nil {
		if axes, err = NormalizeAxes(a.Ints, len(s)); err != nil {
			return nil, err
		}
	}
	vals, ok := shapeValueOf(c, 1)
	if !ok {
		for _, a := range axes {
			s[a] = UnknownDim()
		}
		return []Type{TensorType(t.DType, s)}, nil
	}
	if len(vals) != len(axes) {
		return nil, fmt.Errorf("shape has %d entries for %d axes", len(vals), len(axes))
	}
	for i, a := range axes {
		s[a] = vals[i].Dim()
	}
	return []Type{TensorType(t.DType, s)}, nil
}
