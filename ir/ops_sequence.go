package ir

import "fmt"

// Sequence and optional ops: ONNX sequences (ordered lists of tensors of one element type) and
// optionals (a value or nothing).

func init() {
	reg := func(s *OpSchema) {
		if s.Category == "" {
			s.Category = "sequence"
		}
		RegisterOp(s)
	}
	reg(&OpSchema{Name: "SequenceConstruct", Since: 11,
		Doc:   "builds a sequence holding the input tensors in order",
		MinIn: 1, MaxIn: -1, MinOut: 1, MaxOut: 1, Infer: inferSequenceConstruct})
	reg(&OpSchema{Name: "SequenceEmpty", Since: 11,
		Doc:   "builds an empty sequence of tensors of element type dtype (default float)",
		MinIn: 0, MaxIn: 0, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{opt("dtype", AttrInt)}, Infer: inferSequenceEmpty})
	reg(&OpSchema{Name: "SequenceAt", Since: 11,
		Doc:   "returns the tensor at position (negative counts from the end) of a sequence",
		MinIn: 2, MaxIn: 2, MinOut: 1, MaxOut: 1, Infer: inferSequenceAt})
	reg(&OpSchema{Name: "SequenceInsert", Since: 11,
		Doc:   "returns the sequence with a tensor inserted at position (default: appended)",
		MinIn: 2, MaxIn: 3, MinOut: 1, MaxOut: 1, Infer: inferSequenceInsert})
	reg(&OpSchema{Name: "SequenceErase", Since: 11,
		Doc:   "returns the sequence without the tensor at position (default: the last)",
		MinIn: 1, MaxIn: 2, MinOut: 1, MaxOut: 1, Infer: inferSequenceErase})
	reg(&OpSchema{Name: "SequenceLength", Since: 11,
		Doc:   "returns the number of tensors in a sequence as an int64 scalar",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1, Infer: inferSequenceLength})
	reg(&OpSchema{Name: "SplitToSequence", Since: 11,
		Doc:   "splits a tensor along axis into a sequence: into size-1 pieces (dropped axis unless keepdims), equal chunks of a scalar split, or the lengths in a 1-D split",
		MinIn: 1, MaxIn: 2, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{optInt("axis", 0), optInt("keepdims", 1)}, Infer: inferSplitToSequence})
	reg(&OpSchema{Name: "ConcatFromSequence", Since: 11,
		Doc:   "concatenates the tensors of a sequence along axis (stacks them along a new axis when new_axis=1)",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{req("axis", AttrInt), optInt("new_axis", 0)}, Infer: inferConcatFromSequence})
	reg(&OpSchema{Name: "SequenceMap", Since: 17, Flags: HasSubgraphs,
		Doc:   "runs body once per position of the input sequences (other tensor inputs passed whole) and collects each body output into a sequence",
		MinIn: 1, MaxIn: -1, MinOut: 1, MaxOut: -1,
		Attrs: []AttrSpec{req("body", AttrGraph)}, Infer: inferSequenceMap})
	reg(&OpSchema{Name: "Optional", Since: 15,
		Doc:   "wraps the input (or nothing, with element type from the type attribute) in an optional",
		MinIn: 0, MaxIn: 1, MinOut: 1, MaxOut: 1,
		Attrs: []AttrSpec{opt("type", AttrType)}, Infer: inferOptional})
	reg(&OpSchema{Name: "OptionalGetElement", Since: 15,
		Doc:   "returns the value held by a non-empty optional (a tensor or sequence input is returned as is)",
		MinIn: 1, MaxIn: 1, MinOut: 1, MaxOut: 1, Infer: inferOptionalGetElement})
	reg(&OpSchema{Name: "OptionalHasElement", Since: 15,
		Doc: "returns a bool scalar: whether the optional input holds a value (an absent input gives false)",
		// opset 18 made the input optional
		MinIn: 0, MaxIn: 1, MinOut: 1, MaxOut: 1, Infer: inferOptionalHasElement})
}

// ctlSeqElem returns the element type of a sequence input type (unknown when not known), or an
// error when the input is known not to be a sequence.
func ctlSeqElem(t Type, what string) (Type, error) {
	switch t.Kind {
	case KindUnknown:
		return Type{}, nil
	case KindSequence:
		if t.Elem == nil {
			return Type{}, nil
		}
		return t.Elem.Clone(), nil
	}
	return Type{}, fmt.Errorf("%s must be a sequence, got %s", what, t)
}

// ctlTensorIn checks that t may be a tensor.
func ctlTensorIn(t Type, what string) error {
	if t.Kind != KindUnknown && t.Kind != KindTensor {
		return fmt.Errorf("%s must be a tensor, got %s", what, t)
	}
	return nil
}

// ctlPositionIn checks a position input: an int32/int64 scalar.
func ctlPositionIn(t Type) error {
	if t.Kind == KindUnknown {
		return nil
	}
	if t.Kind != KindTensor || (t.DType != Undefined && t.DType != Int32 && t.DType != Int64) {
		return fmt.Errorf("position must be an int32 or int64 tensor, got %s", t)
	}
	// The spec says scalar; exporters (and ONNX's own tests) also pass shape [1].
	if t.Ranked && (len(t.Shape) > 1 || (len(t.Shape) == 1 && t.Shape[0].IsConcrete() && t.Shape[0].Value != 1)) {
		return fmt.Errorf("position must be a scalar, got %s", t)
	}
	return nil
}

// ctlSeqOf returns the sequence type of elem where elem is known, else an unknown sequence.
func ctlSeqOf(elem Type) Type {
	if elem.Kind == KindUnknown {
		return Type{Kind: KindSequence}
	}
	return SequenceOf(elem)
}

func inferSequenceConstruct(c *InferContext) ([]Type, error) {
	var elem Type
	for i, t := range c.In {
		if err := ctlTensorIn(t, fmt.Sprintf("input %d", i)); err != nil {
			return nil, err
		}
		if t.Kind == KindTensor && elem.Kind == KindTensor && t.DType != Undefined && elem.DType != Undefined && t.DType != elem.DType {
			return nil, fmt.Errorf("sequence elements must share one element type: input 0 is %s, input %d is %s", c.In[0], i, t)
		}
		if i == 0 {
			elem = t.Clone()
		} else {
			elem = ctlMergeTypes(elem, t)
		}
	}
	return []Type{ctlSeqOf(elem)}, nil
}

func inferSequenceEmpty(c *InferContext) ([]Type, error) {
	dt := DType(c.Node.AttrInt("dtype", int64(Float32)))
	if !dt.Valid() {
		return nil, fmt.Errorf("dtype %d is not a valid element type", c.Node.AttrInt("dtype", 0))
	}
	return []Type{SequenceOf(UnrankedTensor(dt))}, nil
}

func inferSequenceAt(c *InferContext) ([]Type, error) {
	elem, err := ctlSeqElem(c.In[0], "input_sequence")
	if err != nil {
		return nil, err
	}
	if err := ctlPositionIn(c.In[1]); err != nil {
		return nil, err
	}
	if elem.Kind == KindUnknown {
		elem = Type{Kind: KindTensor}
	}
	return []Type{elem}, nil
}

func inferSequenceInsert(c *InferContext) ([]Type, error) {
	elem, err := ctlSeqElem(c.In[0], "input_sequence")
	if err != nil {
		return nil, err
	}
	t := c.In[1]
	if err := ctlTensorIn(t, "tensor"); err != nil {
		return nil, err
	}
	if c.HasInput(2) {
		if err := ctlPositionIn(c.In[2]); err != nil {
			return nil, err
		}
	}
	if elem.Kind == KindTensor && t.Kind == KindTensor && elem.DType != Undefined && t.DType != Undefined && elem.DType != t.DType {
		return nil, fmt.Errorf("tensor of type %s cannot be inserted into a sequence of %s", t, elem)
	}
	if c.In[0].Kind == KindSequence && c.In[0].Elem == nil {
		return []Type{ctlSeqOf(t)}, nil
	}
	if elem.Kind == KindUnknown {
		return []Type{{Kind: KindSequence}}, nil
	}
	return []Type{ctlSeqOf(ctlMergeTypes(elem, t))}, nil
}

func inferSequenceErase(c *InferContext) ([]Type, error) {
	if _, err := ctlSeqElem(c.In[0], "input_sequence"); err != nil {
		return nil, err
	}
	if c.HasInput(1) {
		if err := ctlPositionIn(c.In[1]); err != nil {
			return nil, err
		}
	}
	t := c.In[0].Clone()
	if t.Kind == KindUnknown {
		t.Kind = KindSequence
	}
	return []Type{t}, nil
}

func inferSequenceLength(c *InferContext) ([]Type, error) {
	if _, err := ctlSeqElem(c.In[0], "input_sequence"); err != nil {
		return nil, err
	}
	return []Type{TensorType(Int64, Shape{})}, nil
}

func inferSplitToSequence(c *InferContext) ([]Type, error) {
	in := c.In[0]
	if err := ctlTensorIn(in, "input"); err != nil {
		return nil, err
	}
	if c.HasInput(1) {
		t := c.In[1]
		if t.Kind == KindTensor && t.DType != Undefined && t.DType != Int32 && t.DType != Int64 {
			return nil, fmt.Errorf("split must be int32 or int64, got %s", t)
		}
		if t.Ranked && len(t.Shape) > 1 {
			return nil, fmt.Errorf("split must be a scalar or 1-D, got %s", t)
		}
	}
	if !in.Ranked {
		return []Type{SequenceOf(UnrankedTensor(in.DType))}, nil
	}
	ax, err := NormalizeAxis(c.Node.AttrInt("axis", 0), len(in.Shape))
	if err != nil {
		return nil, err
	}
	elem := TensorType(in.DType, in.Shape.Clone())
	if !c.HasInput(1) {
		if c.Node.AttrInt("keepdims", 1) == 0 {
			elem.Shape = append(elem.Shape[:ax:ax], in.Shape[ax+1:]...)
		} else {
			elem.Shape[ax] = D(1)
		}
		return []Type{SequenceOf(elem)}, nil
	}
	elem.Shape[ax] = UnknownDim()
	if split, ok := c.ConstInt64s(1); ok {
		for _, s := range split {
			if s < 0 {
				return nil, fmt.Errorf("split lengths must be non-negative, got %v", split)
			}
		}
		d := in.Shape[ax]
		switch {
		case len(c.Consts[1].Shape) == 0 && len(split) == 1:
			if split[0] == 0 {
				return nil, fmt.Errorf("scalar split must be positive")
			}
			if d.IsConcrete() && d.Value%split[0] == 0 {
				elem.Shape[ax] = D(split[0])
			}
		default:
			if d.IsConcrete() {
				sum := int64(0)
				for _, s := range split {
					sum += s
				}
				if sum != d.Value {
					return nil, fmt.Errorf("split lengths %v sum to %d, but axis %d has size %d", split, sum, ax, d.Value)
				}
			}
			same := len(split) > 0
			for _, s := range split {
				same = same && s == split[0]
			}
			if same {
				elem.Shape[ax] = D(split[0])
			}
		}
	}
	return []Type{SequenceOf(elem)}, nil
}

func inferConcatFromSequence(c *InferContext) ([]Type, error) {
	elem, err := ctlSeqElem(c.In[0], "input_sequence")
	if err != nil {
		return nil, err
	}
	if elem.Kind == KindUnknown || !elem.Ranked {
		return []Type{UnrankedTensor(elem.DType)}, nil
	}
	if err := ctlTensorIn(elem, "sequence element"); err != nil {
		return nil, err
	}
	r := len(elem.Shape)
	newAxis := c.Node.AttrInt("new_axis", 0) != 0
	if newAxis {
		r++
	}
	ax, err := NormalizeAxis(c.Node.AttrInt("axis", 0), r)
	if err != nil {
		return nil, err
	}
	if newAxis {
		s := append(elem.Shape[:ax:ax], UnknownDim())
		s = append(s, elem.Shape[ax:]...)
		return []Type{TensorType(elem.DType, s)}, nil
	}
	s := elem.Shape.Clone()
	s[ax] = UnknownDim()
	return []Type{TensorType(elem.DType, s)}, nil
}

func inferSequenceMap(c *InferContext) ([]Type, error) {
	body := c.Node.AttrGraph("body")
	if body == nil {
		return nil, fmt.Errorf("graph attribute \"body\" is missing")
	}
	if _, err := ctlSeqElem(c.In[0], "input_sequence"); err != nil {
		return nil, err
	}
	if len(body.Inputs) != len(c.Node.Inputs) {
		return nil, fmt.Errorf("body takes %d inputs, node has %d", len(body.Inputs), len(c.Node.Inputs))
	}
	if len(body.Outputs) != len(c.Node.Outputs) {
		return nil, fmt.Errorf("body has %d outputs, node has %d", len(body.Outputs), len(c.Node.Outputs))
	}
	out := make([]Type, len(body.Outputs))
	for i, v := range body.Outputs {
		out[i] = ctlSeqOf(v.Type.Clone())
	}
	return out, nil
}

func inferOptional(c *InferContext) ([]Type, error) {
	if c.HasInput(0) {
		if c.In[0].Kind == KindOptional {
			return nil, fmt.Errorf("input must be a tensor or sequence, got %s", c.In[0])
		}
		if c.In[0].Kind == KindUnknown {
			return []Type{{Kind: KindOptional}}, nil
		}
		return []Type{OptionalOf(c.In[0])}, nil
	}
	a := c.Node.Attr("type")
	if a == nil || a.Type == nil {
		return nil, fmt.Errorf("an Optional without input needs the type attribute")
	}
	return []Type{OptionalOf(*a.Type)}, nil
}

func inferOptionalGetElement(c *InferContext) ([]Type, error) {
	t := c.In[0]
	switch t.Kind {
	case KindOptional:
		if t.Elem == nil {
			return Unknowns(1), nil
		}
		return []Type{t.Elem.Clone()}, nil
	case KindUnknown:
		return Unknowns(1), nil
	}
	if c.Opset > 0 && c.Opset < 18 {
		return nil, fmt.Errorf("input must be an optional before opset 18, got %s", t)
	}
	return []Type{t.Clone()}, nil
}

func inferOptionalHasElement(c *InferContext) ([]Type, error) {
	if c.HasInput(0) {
		t := c.In[0]
		if t.Kind != KindOptional && t.Kind != KindUnknown && c.Opset > 0 && c.Opset < 18 {
			return nil, fmt.Errorf("input must be an optional before opset 18, got %s", t)
		}
	} else if c.Opset > 0 && c.Opset < 18 {
		return nil, fmt.Errorf("input is required before opset 18")
	}
	return []Type{TensorType(Bool, Shape{})}, nil
}
