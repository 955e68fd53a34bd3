package ir

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unsafe"
)

// Tensor is a dense constant or runtime tensor. Numeric data lives in Raw as little-endian bytes
// (so a weight read from a file or mapped from disk is used in place, without a copy); sub-byte
// types (int4, uint4, float4) are packed two per byte, low nibble first, as ONNX stores them.
// String tensors keep their elements in Strings instead. Typed views (Float32s, Int64s, ...)
// alias Raw when it is suitably aligned on a little-endian host and copy otherwise.
type Tensor struct {
	DType   DType
	Shape   []int64
	Raw     []byte
	Strings [][]byte
}

// ErrTooLarge is returned when a tensor's size overflows or exceeds a limit.
var ErrTooLarge = errors.New("tensor too large")

// NumElements returns the product of dims, refusing negative dims and overflow past 2^62.
func NumElements(dims []int64) (int64, error) {
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d in shape %v", d, dims)
		}
		if d != 0 && n > (1<<62)/d {
			return 0, fmt.Errorf("%w: shape %v has more than 2^62 elements", ErrTooLarge, dims)
		}
		n *= d
	}
	return n, nil
}

// ByteSize is the number of bytes n elements of dt occupy (rounded up for sub-byte types). It
// saturates at 2^62 instead of overflowing.
func ByteSize(dt DType, n int64) int64 {
	bits := int64(dt.Bits())
	if bits > 0 && n > (1<<62)/bits {
		return 1 << 62
	}
	return (n*bits + 7) / 8
}

// Len returns the number of elements (shape product); the shape is assumed validated.
func (t *Tensor) Len() int {
	n := 1
	for _, d := range t.Shape {
		n *= int(d)
	}
	return n
}

// Type returns the IR type of t.
func (t *Tensor) Type() Type { return TensorType(t.DType, ConcreteShape(t.Shape...)) }

// NewTensor allocates a zeroed tensor. It fails (rather than allocating) when the shape is invalid
// or larger than maxBytes (maxBytes <= 0 means no cap beyond overflow).
func NewTensor(dt DType, shape []int64, maxBytes int64) (*Tensor, error) {
	n, err := NumElements(shape)
	if err != nil {
		return nil, err
	}
	t := &Tensor{DType: dt, Shape: append([]int64{}, shape...)}
	if dt == String {
		if maxBytes > 0 && n*16 > maxBytes {
			return nil, fmt.Errorf("%w: string tensor of %d elements exceeds the %d-byte limit", ErrTooLarge, n, maxBytes)
		}
		t.Strings = make([][]byte, n)
		return t, nil
	}
	nb := ByteSize(dt, n)
	if nb >= 1<<62 || nb > int64(^uint(0)>>1) {
		return nil, fmt.Errorf("%w: %s%v needs more than 2^62 bytes", ErrTooLarge, dt, shape)
	}
	if maxBytes > 0 && nb > maxBytes {
		return nil, fmt.Errorf("%w: %s%v needs %d bytes, over the %d-byte limit", ErrTooLarge, dt, shape, nb, maxBytes)
	}
	t.Raw = alignedBytes(int(nb))
	return t, nil
}

// MustTensor is NewTensor without a cap, panicking on an invalid shape; for tests and builders.
func MustTensor(dt DType, shape ...int64) *Tensor {
	t, err := NewTensor(dt, shape, 0)
	if err != nil {
		panic(err)
	}
	return t
}

// alignedBytes allocates n bytes aligned to 8 so any typed view can alias them.
func alignedBytes(n int) []byte {
	if n == 0 {
		return []byte{}
	}
	words := make([]uint64, (n+7)/8)
	return unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), n)
}

var littleEndian = func() bool { x := uint16(1); return *(*byte)(unsafe.Pointer(&x)) == 1 }()

func view[T any](raw []byte) ([]T, bool) {
	var z T
	size := int(unsafe.Sizeof(z))
	if len(raw) == 0 {
		return []T{}, true
	}
	if !littleEndian || uintptr(unsafe.Pointer(&raw[0]))%uintptr(unsafe.Alignof(z)) != 0 {
		return nil, false
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&raw[0])), len(raw)/size), true
}

// Aligned returns a copy of t whose Raw is 8-byte aligned if it is not already (so typed views
// alias it); otherwise t itself.
func (t *Tensor) Aligned() *Tensor {
	if len(t.Raw) == 0 || uintptr(unsafe.Pointer(&t.Raw[0]))%8 == 0 {
		return t
	}
	c := *t
	c.Raw = alignedBytes(len(t.Raw))
	copy(c.Raw, t.Raw)
	return &c
}

func (t *Tensor) mustType(want ...DType) {
	for _, w := range want {
		if t.DType == w {
			return
		}
	}
	panic(fmt.Sprintf("ir: typed view %v of a %s tensor", want, t.DType))
}

func decode[T any](raw []byte, get func([]byte) T, size int) []T {
	out := make([]T, len(raw)/size)
	for i := range out {
		out[i] = get(raw[i*size:])
	}
	return out
}

// Float32s views the data of a float32 tensor.
func (t *Tensor) Float32s() []float32 {
	t.mustType(Float32)
	if v, ok := view[float32](t.Raw); ok {
		return v
	}
	return decode(t.Raw, func(b []byte) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(b)) }, 4)
}

// Float64s views the data of a float64 tensor.
func (t *Tensor) Float64s() []float64 {
	t.mustType(Float64)
	if v, ok := view[float64](t.Raw); ok {
		return v
	}
	return decode(t.Raw, func(b []byte) float64 { return math.Float64frombits(binary.LittleEndian.Uint64(b)) }, 8)
}

// Int64s views the data of an int64 tensor.
func (t *Tensor) Int64s() []int64 {
	t.mustType(Int64)
	if v, ok := view[int64](t.Raw); ok {
		return v
	}
	return decode(t.Raw, func(b []byte) int64 { return int64(binary.LittleEndian.Uint64(b)) }, 8)
}

// Int32s views the data of an int32 tensor.
func (t *Tensor) Int32s() []int32 {
	t.mustType(Int32)
	if v, ok := view[int32](t.Raw); ok {
		return v
	}
	return decode(t.Raw, func(b []byte) int32 { return int32(binary.LittleEndian.Uint32(b)) }, 4)
}

// Uint16s views the raw 16-bit words of an int16/uint16/float16/bfloat16 tensor.
func (t *Tensor) Uint16s() []uint16 {
	t.mustType(Uint16, Int16, Float16, BFloat16)
	if v, ok := view[uint16](t.Raw); ok {
		return v
	}
	return decode(t.Raw, binary.LittleEndian.Uint16, 2)
}

// Uint32s views the data of a uint32 tensor.
func (t *Tensor) Uint32s() []uint32 {
	t.mustType(Uint32)
	if v, ok := view[uint32](t.Raw); ok {
		return v
	}
	return decode(t.Raw, binary.LittleEndian.Uint32, 4)
}

// Uint64s views the data of a uint64 tensor.
func (t *Tensor) Uint64s() []uint64 {
	t.mustType(Uint64)
	if v, ok := view[uint64](t.Raw); ok {
		return v
	}
	return decode(t.Raw, binary.LittleEndian.Uint64, 8)
}

// Bytes views the data of a 1-byte-element tensor (uint8, int8 as bytes, bool, float8 types).
func (t *Tensor) Bytes() []byte { return t.Raw }

// Int8s views the data of an int8 tensor.
func (t *Tensor) Int8s() []int8 {
	t.mustType(Int8)
	if len(t.Raw) == 0 {
		return []int8{}
	}
	return unsafe.Slice((*int8)(unsafe.Pointer(&t.Raw[0])), len(t.Raw))
}

// Int16s views the data of an int16 tensor.
func (t *Tensor) Int16s() []int16 {
	t.mustType(Int16)
	if v, ok := view[int16](t.Raw); ok {
		return v
	}
	return decode(t.Raw, func(b []byte) int16 { return int16(binary.LittleEndian.Uint16(b)) }, 2)
}

// Bools views the data of a bool tensor (one byte each, 0 or 1).
func (t *Tensor) Bools() []bool {
	t.mustType(Bool)
	if len(t.Raw) == 0 {
		return []bool{}
	}
	return unsafe.Slice((*bool)(unsafe.Pointer(&t.Raw[0])), len(t.Raw))
}

func fromSlice[T any](dt DType, shape []int64, data []T) *Tensor {
	t := MustTensor(dt, shape...)
	var z T
	if int64(len(data)) != int64(len(t.Raw))/int64(unsafe.Sizeof(z)) {
		panic(fmt.Sprintf("ir: %d values for shape %v", len(data), shape))
	}
	if len(data) > 0 {
		copy(t.Raw, unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), len(t.Raw)))
	}
	return t
}

// FromFloat32s builds a float32 tensor (copying data).
func FromFloat32s(shape []int64, data []float32) *Tensor { return fromSlice(Float32, shape, data) }

// FromFloat64s builds a float64 tensor (copying data).
func FromFloat64s(shape []int64, data []float64) *Tensor { return fromSlice(Float64, shape, data) }

// FromInt64s builds an int64 tensor (copying data).
func FromInt64s(shape []int64, data []int64) *Tensor { return fromSlice(Int64, shape, data) }

// FromInt32s builds an int32 tensor (copying data).
func FromInt32s(shape []int64, data []int32) *Tensor { return fromSlice(Int32, shape, data) }

// FromBools builds a bool tensor (copying data).
func FromBools(shape []int64, data []bool) *Tensor { return fromSlice(Bool, shape, data) }

// ScalarInt64 builds a rank-0 int64 tensor.
func ScalarInt64(v int64) *Tensor { return FromInt64s(nil, []int64{v}) }

// ScalarFloat32 builds a rank-0 float32 tensor.
func ScalarFloat32(v float32) *Tensor { return FromFloat32s(nil, []float32{v}) }

// Clone returns a deep copy of t (aligned).
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{DType: t.DType, Shape: append([]int64{}, t.Shape...)}
	if t.Raw != nil {
		c.Raw = alignedBytes(len(t.Raw))
		copy(c.Raw, t.Raw)
	}
	if t.Strings != nil {
		c.Strings = make([][]byte, len(t.Strings))
		for i, s := range t.Strings {
			c.Strings[i] = append([]byte{}, s...)
		}
	}
	return c
}

// Equal reports whether two tensors have the same dtype, shape and bytes (NaNs with equal bits
// compare equal).
func (t *Tensor) Equal(u *Tensor) bool {
	if t == nil || u == nil {
		return t == u
	}
	if t.DType != u.DType || len(t.Shape) != len(u.Shape) || len(t.Raw) != len(u.Raw) || len(t.Strings) != len(u.Strings) {
		return false
	}
	for i := range t.Shape {
		if t.Shape[i] != u.Shape[i] {
			return false
		}
	}
	if string(t.Raw) != string(u.Raw) {
		return false
	}
	for i := range t.Strings {
		if string(t.Strings[i]) != string(u.Strings[i]) {
			return false
		}
	}
	return true
}

// Validate checks that the data length matches dtype and shape.
func (t *Tensor) Validate() error {
	if !t.DType.Valid() {
		return fmt.Errorf("invalid element type %d", t.DType)
	}
	n, err := NumElements(t.Shape)
	if err != nil {
		return err
	}
	if t.DType == String {
		if int64(len(t.Strings)) != n {
			return fmt.Errorf("string tensor of shape %v has %d elements, want %d", t.Shape, len(t.Strings), n)
		}
		return nil
	}
	if want := ByteSize(t.DType, n); int64(len(t.Raw)) != want {
		return fmt.Errorf("%s tensor of shape %v has %d bytes of data, want %d", t.DType, t.Shape, len(t.Raw), want)
	}
	return nil
}

// Float64At returns element i converted to float64 (for any numeric dtype); used by printers,
// tests and generic code paths, not by kernels.
func (t *Tensor) Float64At(i int) float64 {
	r := t.Raw
	switch t.DType {
	case Float32:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(r[4*i:])))
	case Float64:
		return math.Float64frombits(binary.LittleEndian.Uint64(r[8*i:]))
	case Float16:
		return float64(Float16ToFloat32(binary.LittleEndian.Uint16(r[2*i:])))
	case BFloat16:
		return float64(BFloat16ToFloat32(binary.LittleEndian.Uint16(r[2*i:])))
	case Int8:
		return float64(int8(r[i]))
	case Uint8, Bool:
		return float64(r[i])
	case Int16:
		return float64(int16(binary.LittleEndian.Uint16(r[2*i:])))
	case Uint16:
		return float64(binary.LittleEndian.Uint16(r[2*i:]))
	case Int32:
		return float64(int32(binary.LittleEndian.Uint32(r[4*i:])))
	case Uint32:
		return float64(binary.LittleEndian.Uint32(r[4*i:]))
	case Int64:
		return float64(int64(binary.LittleEndian.Uint64(r[8*i:])))
	case Uint64:
		return float64(binary.LittleEndian.Uint64(r[8*i:]))
	case Int4:
		v := r[i/2] >> (4 * uint(i%2)) & 0xF
		return float64(int8(v<<4) >> 4)
	case Uint4:
		return float64(r[i/2] >> (4 * uint(i%2)) & 0xF)
	}
	return math.NaN()
}

// Int64At returns element i of an integer or bool tensor as int64.
func (t *Tensor) Int64At(i int) int64 {
	r := t.Raw
	switch t.DType {
	case Int64:
		return int64(binary.LittleEndian.Uint64(r[8*i:]))
	case Int32:
		return int64(int32(binary.LittleEndian.Uint32(r[4*i:])))
	case Uint64:
		return int64(binary.LittleEndian.Uint64(r[8*i:]))
	}
	return int64(t.Float64At(i))
}

// AsInt64s returns the elements of an integer tensor as int64 (a copy unless already int64).
func (t *Tensor) AsInt64s() []int64 {
	if t.DType == Int64 {
		return t.Int64s()
	}
	n := t.Len()
	out := make([]int64, n)
	for i := range out {
		out[i] = t.Int64At(i)
	}
	return out
}
