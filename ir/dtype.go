package ir

import "fmt"

// DType is a tensor element type. Its numeric values are ONNX's TensorProto.DataType codes, so a
// DType converts to and from the wire format without a table.
type DType uint8

// Element types, numbered as ONNX numbers them.
const (
	Undefined      DType = 0
	Float32        DType = 1
	Uint8          DType = 2
	Int8           DType = 3
	Uint16         DType = 4
	Int16          DType = 5
	Int32          DType = 6
	Int64          DType = 7
	String         DType = 8
	Bool           DType = 9
	Float16        DType = 10
	Float64        DType = 11
	Uint32         DType = 12
	Uint64         DType = 13
	Complex64      DType = 14
	Complex128     DType = 15
	BFloat16       DType = 16
	Float8E4M3FN   DType = 17
	Float8E4M3FNUZ DType = 18
	Float8E5M2     DType = 19
	Float8E5M2FNUZ DType = 20
	Uint4          DType = 21
	Int4           DType = 22
	Float4E2M1     DType = 23
	maxDType       DType = 23
)

type dtypeInfo struct {
	name string // short name used by the textual IR
	bits int    // storage bits per element; 0 for strings
}

var dtypeInfos = [...]dtypeInfo{
	Undefined:      {"undef", 0},
	Float32:        {"f32", 32},
	Uint8:          {"u8", 8},
	Int8:           {"i8", 8},
	Uint16:         {"u16", 16},
	Int16:          {"i16", 16},
	Int32:          {"i32", 32},
	Int64:          {"i64", 64},
	String:         {"str", 0},
	Bool:           {"bool", 8},
	Float16:        {"f16", 16},
	Float64:        {"f64", 64},
	Uint32:         {"u32", 32},
	Uint64:         {"u64", 64},
	Complex64:      {"c64", 64},
	Complex128:     {"c128", 128},
	BFloat16:       {"bf16", 16},
	Float8E4M3FN:   {"f8e4m3fn", 8},
	Float8E4M3FNUZ: {"f8e4m3fnuz", 8},
	Float8E5M2:     {"f8e5m2", 8},
	Float8E5M2FNUZ: {"f8e5m2fnuz", 8},
	Uint4:          {"u4", 4},
	Int4:           {"i4", 4},
	Float4E2M1:     {"f4e2m1", 4},
}

// Valid reports whether d is a known, defined element type.
func (d DType) Valid() bool { return d > Undefined && d <= maxDType }

// String returns the short name used in the textual IR (f32, i64, bool, ...).
func (d DType) String() string {
	if d <= maxDType {
		return dtypeInfos[d].name
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// Bits is the storage size of one element in bits (4 for packed int4); 0 for strings.
func (d DType) Bits() int {
	if d <= maxDType {
		return dtypeInfos[d].bits
	}
	return 0
}

// Size is the storage size of one element in bytes; 0 for strings and sub-byte types.
func (d DType) Size() int { return d.Bits() / 8 }

// IsFloat reports whether d is a real floating-point type.
func (d DType) IsFloat() bool {
	switch d {
	case Float32, Float64, Float16, BFloat16, Float8E4M3FN, Float8E4M3FNUZ, Float8E5M2, Float8E5M2FNUZ, Float4E2M1:
		return true
	}
	return false
}

// IsInt reports whether d is a signed or unsigned integer type.
func (d DType) IsInt() bool {
	switch d {
	case Int8, Int16, Int32, Int64, Uint8, Uint16, Uint32, Uint64, Int4, Uint4:
		return true
	}
	return false
}

// IsSigned reports whether d is a signed integer type.
func (d DType) IsSigned() bool {
	switch d {
	case Int8, Int16, Int32, Int64, Int4:
		return true
	}
	return false
}

// ParseDType maps a textual IR name (f32, i64, ...) back to its DType.
func ParseDType(s string) (DType, bool) {
	for i, info := range dtypeInfos {
		if info.name == s {
			return DType(i), true
		}
	}
	return Undefined, false
}
