package ir

import (
	"sort"
	"strconv"
	"strings"
)

// Dim is one dimension of a shape: concrete (Value >= 0), symbolic (Param != "", e.g. "batch"),
// or unknown (Value < 0 and Param == "").
type Dim struct {
	Value int64
	Param string
}

// D returns a concrete dimension.
func D(v int64) Dim { return Dim{Value: v} }

// Sym returns a symbolic dimension named p.
func Sym(p string) Dim { return Dim{Value: -1, Param: p} }

// UnknownDim returns a dimension about which nothing is known.
func UnknownDim() Dim { return Dim{Value: -1} }

// IsConcrete reports whether the dimension has a known size.
func (d Dim) IsConcrete() bool { return d.Param == "" && d.Value >= 0 }

// IsSymbolic reports whether the dimension is a named symbol.
func (d Dim) IsSymbolic() bool { return d.Param != "" }

// IsUnknown reports whether nothing is known about the dimension.
func (d Dim) IsUnknown() bool { return d.Param == "" && d.Value < 0 }

func (d Dim) String() string {
	switch {
	case d.Param != "":
		return d.Param
	case d.Value >= 0:
		return strconv.FormatInt(d.Value, 10)
	}
	return "?"
}

// Factors splits a known dim into a constant factor and symbols: a concrete dim is (Value, none);
// a symbolic one is a product of named dims, written in Param with "*" ("batch*sequence",
// "3*batch": the constant first, the names sorted), a plain name being one factor. ok is false
// for an unknown dim.
func (d Dim) Factors() (coef int64, syms []string, ok bool) {
	switch {
	case d.IsConcrete():
		return d.Value, nil, true
	case !d.IsSymbolic():
		return 0, nil, false
	}
	if !strings.Contains(d.Param, "*") {
		return 1, []string{d.Param}, true
	}
	coef = 1
	for _, f := range strings.Split(d.Param, "*") {
		if n, err := strconv.ParseInt(f, 10, 64); err == nil {
			coef *= n
		} else {
			syms = append(syms, f)
		}
	}
	return coef, syms, true
}

// ProductDim is the dim coef·s1·s2·…: concrete when there are no symbols, else symbolic with the
// canonical product Param (see Factors). Reshapes to [-1, hidden] of a [batch, sequence, hidden]
// tensor have the dim batch*sequence.
func ProductDim(coef int64, syms []string) Dim {
	if len(syms) == 0 || coef == 0 {
		return D(coef)
	}
	if coef == 1 && len(syms) == 1 {
		return Sym(syms[0])
	}
	sorted := append([]string(nil), syms...)
	sort.Strings(sorted)
	parts := sorted
	if coef != 1 {
		parts = append([]string{strconv.FormatInt(coef, 10)}, sorted...)
	}
	return Sym(strings.Join(parts, "*"))
}

// Shape is an ordered list of dimensions. Rank is len(Shape).
type Shape []Dim

// ConcreteShape builds a fully known shape.
func ConcreteShape(dims ...int64) Shape {
	s := make(Shape, len(dims))
	for i, v := range dims {
		s[i] = D(v)
	}
	return s
}

// IsConcrete reports whether every dimension is known.
func (s Shape) IsConcrete() bool {
	for _, d := range s {
		if !d.IsConcrete() {
			return false
		}
	}
	return true
}

// Ints returns the dimension sizes; ok is false if any is not concrete.
func (s Shape) Ints() (dims []int64, ok bool) {
	dims = make([]int64, len(s))
	for i, d := range s {
		if !d.IsConcrete() {
			return nil, false
		}
		dims[i] = d.Value
	}
	return dims, true
}

// Clone returns a copy of s.
func (s Shape) Clone() Shape {
	if s == nil {
		return nil
	}
	return append(Shape{}, s...)
}

func (s Shape) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = d.String()
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// Kind says what sort of value a Type describes.
type Kind uint8

// Value kinds of ONNX: tensors, and the sequence/optional/map containers.
const (
	KindUnknown Kind = iota // nothing known (e.g. a value_info-less intermediate)
	KindTensor
	KindSequence
	KindOptional
	KindMap
	KindSparseTensor
)

// Type describes a value: for tensors an element type and, when Ranked, a shape; for containers
// the element type in Elem (and the key type in KeyDType for maps).
type Type struct {
	Kind     Kind
	DType    DType // tensor / sparse tensor element type; map key type lives in KeyDType
	Ranked   bool  // the rank is known, and Shape has exactly that many dims
	Shape    Shape
	Elem     *Type // sequence, optional and map element type
	KeyDType DType // map key type
}

// TensorType returns the type of a tensor with the given element type and shape (ranked).
func TensorType(dt DType, shape Shape) Type {
	return Type{Kind: KindTensor, DType: dt, Ranked: true, Shape: shape}
}

// UnrankedTensor returns the type of a tensor of element type dt whose rank is unknown.
func UnrankedTensor(dt DType) Type { return Type{Kind: KindTensor, DType: dt} }

// SequenceOf returns the type of a sequence of elem.
func SequenceOf(elem Type) Type { e := elem; return Type{Kind: KindSequence, Elem: &e} }

// OptionalOf returns the type of an optional elem.
func OptionalOf(elem Type) Type { e := elem; return Type{Kind: KindOptional, Elem: &e} }

// IsTensor reports whether t describes a dense tensor.
func (t Type) IsTensor() bool { return t.Kind == KindTensor }

// Rank returns the rank, or -1 when unknown.
func (t Type) Rank() int {
	if !t.Ranked {
		return -1
	}
	return len(t.Shape)
}

// Clone returns a deep copy.
func (t Type) Clone() Type {
	c := t
	c.Shape = t.Shape.Clone()
	if t.Elem != nil {
		e := t.Elem.Clone()
		c.Elem = &e
	}
	return c
}

// Equal reports whether two types are identical (symbols compare by name).
func (t Type) Equal(u Type) bool {
	if t.Kind != u.Kind || t.DType != u.DType || t.Ranked != u.Ranked || t.KeyDType != u.KeyDType || len(t.Shape) != len(u.Shape) {
		return false
	}
	for i := range t.Shape {
		if t.Shape[i] != u.Shape[i] {
			return false
		}
	}
	if (t.Elem == nil) != (u.Elem == nil) {
		return false
	}
	return t.Elem == nil || t.Elem.Equal(*u.Elem)
}

// String renders the type as the textual IR writes it: f32[batch,128], f32[*] (unranked),
// seq<f32[2]>, opt<i64[]>, map<i64,f32[]>, ? (unknown).
func (t Type) String() string {
	switch t.Kind {
	case KindTensor, KindSparseTensor:
		var b strings.Builder
		if t.Kind == KindSparseTensor {
			b.WriteString("sparse<")
		}
		b.WriteString(t.DType.String())
		if t.Ranked {
			b.WriteString(t.Shape.String())
		} else {
			b.WriteString("[*]")
		}
		if t.Kind == KindSparseTensor {
			b.WriteString(">")
		}
		return b.String()
	case KindSequence:
		return "seq<" + t.elemString() + ">"
	case KindOptional:
		return "opt<" + t.elemString() + ">"
	case KindMap:
		return "map<" + t.KeyDType.String() + "," + t.elemString() + ">"
	}
	return "?"
}

func (t Type) elemString() string {
	if t.Elem == nil {
		return "?"
	}
	return t.Elem.String()
}

// Compatible reports whether a value of type t may be declared as type u without contradiction:
// same kind and dtype where both are known, same rank where both are ranked, and equal sizes where
// both dims are concrete. Symbols and unknowns are compatible with anything.
func (t Type) Compatible(u Type) bool {
	if t.Kind == KindUnknown || u.Kind == KindUnknown {
		return true
	}
	if t.Kind != u.Kind {
		return false
	}
	if t.DType != Undefined && u.DType != Undefined && t.DType != u.DType {
		return false
	}
	if t.Ranked && u.Ranked {
		if len(t.Shape) != len(u.Shape) {
			return false
		}
		for i := range t.Shape {
			a, b := t.Shape[i], u.Shape[i]
			if a.IsConcrete() && b.IsConcrete() && a.Value != b.Value {
				return false
			}
		}
	}
	if t.Elem != nil && u.Elem != nil {
		return t.Elem.Compatible(*u.Elem)
	}
	return true
}
