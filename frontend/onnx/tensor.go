package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/llmc/llmc/frontend/onnx/onnxpb"
	"github.com/llmc/llmc/ir"
)

// externalResolver reads external tensor data; nil when external data is not allowed.
type externalResolver interface {
	read(tensorName, location string, offset, length int64, want int64) ([]byte, error)
}

// tensorFromProto converts a TensorProto to an ir.Tensor. what names the tensor in errors (e.g.
// `initializer "w"`). All sizes come from the file, so every length is checked against the data
// actually present before anything is allocated.
func tensorFromProto(tp *onnxpb.TensorProto, what string, ext externalResolver) (*ir.Tensor, error) {
	dt := ir.DType(tp.GetDataType())
	if tp.GetDataType() <= 0 || tp.GetDataType() > 255 || !dt.Valid() {
		return nil, fmt.Errorf("%s: unknown element type %d", what, tp.GetDataType())
	}
	if tp.Segment != nil {
		return nil, fmt.Errorf("%s: segmented tensors are not supported", what)
	}
	shape := append([]int64{}, tp.GetDims()...)
	n, err := ir.NumElements(shape)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	t := &ir.Tensor{DType: dt, Shape: shape}
	if dt == ir.String {
		if int64(len(tp.GetStringData())) != n {
			return nil, fmt.Errorf("%s: string tensor of shape %v has %d elements, want %d", what, shape, len(tp.GetStringData()), n)
		}
		t.Strings = tp.GetStringData()
		if t.Strings == nil {
			t.Strings = [][]byte{}
		}
		return t, nil
	}
	want := ir.ByteSize(dt, n)
	if tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		if ext == nil {
			return nil, fmt.Errorf("%s: external data is not allowed here", what)
		}
		var loc string
		offset, length := int64(0), int64(-1)
		for _, kv := range tp.GetExternalData() {
			switch kv.GetKey() {
			case "location":
				loc = kv.GetValue()
			case "offset":
				if _, err := fmt.Sscan(kv.GetValue(), &offset); err != nil || offset < 0 {
					return nil, fmt.Errorf("%s: bad external data offset %q", what, kv.GetValue())
				}
			case "length":
				if _, err := fmt.Sscan(kv.GetValue(), &length); err != nil || length < 0 {
					return nil, fmt.Errorf("%s: bad external data length %q", what, kv.GetValue())
				}
			}
		}
		if loc == "" {
			return nil, fmt.Errorf("%s: external data without a location", what)
		}
		if length >= 0 && length != want {
			return nil, fmt.Errorf("%s: external data length %d, but shape %v of %s needs %d bytes", what, length, shape, dt, want)
		}
		raw, err := ext.read(tp.GetName(), loc, offset, length, want)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", what, err)
		}
		t.Raw = raw
		return t, nil
	}
	if tp.RawData != nil {
		if int64(len(tp.RawData)) != want {
			return nil, fmt.Errorf("%s: raw data has %d bytes, but shape %v of %s needs %d", what, len(tp.RawData), shape, dt, want)
		}
		t.Raw = tp.RawData
		return t, nil
	}
	raw, err := typedData(tp, dt, n, want, what)
	if err != nil {
		return nil, err
	}
	t.Raw = raw
	return t, nil
}

// typedData decodes the typed repeated fields (float_data, int32_data, ...) into little-endian
// bytes, as the spec assigns each dtype to a field.
func typedData(tp *onnxpb.TensorProto, dt ir.DType, n, want int64, what string) ([]byte, error) {
	count := func(got int) error {
		if int64(got) != n {
			return fmt.Errorf("%s: has %d values, but shape %v needs %d", what, got, tp.GetDims(), n)
		}
		return nil
	}
	// raw is allocated only once the typed field is known to hold exactly the shape's values:
	// a hostile shape must not size an allocation by itself
	var raw []byte
	switch dt {
	case ir.Float32:
		d := tp.GetFloatData()
		if err := count(len(d)); err != nil {
			return nil, err
		}
		raw = make([]byte, want)
		for i, v := range d {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
	case ir.Complex64:
		d := tp.GetFloatData()
		if len(d)%2 != 0 {
			return nil, fmt.Errorf("%s: complex tensor has an odd number (%d) of parts", what, len(d))
		}
		if err := count(len(d) / 2); err != nil {
			return nil, err
		}
		raw = make([]byte, want)
		for i, v := range d {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
		}
	case ir.Float64:
		d := tp.GetDoubleData()
		if err := count(len(d)); err != nil {
			return nil, err
		}
		raw = make([]byte, want)
		for i, v := range d {
			binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(v))
		}
	case ir.Complex128:
		d := tp.GetDoubleData()
		if len(d)%2 != 0 {
			return nil, fmt.Errorf("%s: complex tensor has an odd number (%d) of parts", what, len(d))
		}
		if err := count(len(d) / 2); err != nil {
			return nil, err
		}
		raw = make([]byte, want)
		for i, v := range d {
			binary.LittleEndian.PutUint64(raw[8*i:], math.Float64bits(v))
		}
	case ir.Int64:
		d := tp.GetInt64Data()
		if err := count(len(d)); err != nil {
			return nil, err
		}
		raw = make([]byte, want)
		for i, v := range d {
			binary.LittleEndian.PutUint64(raw[8*i:], uint64(v))
		}
	case ir.Uint32, ir.Uint64:
		d := tp.GetUint64Data()
		if err := count(len(d)); err != nil {
			return nil, err
		}
		raw = make([]byte, want)
		for i, v := range d {
			if dt == ir.Uint32 {
				binary.LittleEndian.PutUint32(raw[4*i:], uint32(v))
			} else {
				binary.LittleEndian.PutUint64(raw[8*i:], v)
			}
		}
	case ir.Int32, ir.Int16, ir.Uint16, ir.Int8, ir.Uint8, ir.Bool, ir.Float16, ir.BFloat16,
		ir.Float8E4M3FN, ir.Float8E4M3FNUZ, ir.Float8E5M2, ir.Float8E5M2FNUZ:
		d := tp.GetInt32Data()
		if err := count(len(d)); err != nil {
			return nil, err
		}
		raw = make([]byte, want)
		size := dt.Size()
		for i, v := range d {
			switch size {
			case 1:
				raw[i] = byte(v)
			case 2:
				binary.LittleEndian.PutUint16(raw[2*i:], uint16(v))
			case 4:
				binary.LittleEndian.PutUint32(raw[4*i:], uint32(v))
			}
		}
	case ir.Int4, ir.Uint4, ir.Float4E2M1:
		// int32_data holds packed bytes (two 4-bit values per int32 element).
		d := tp.GetInt32Data()
		if int64(len(d)) != want {
			return nil, fmt.Errorf("%s: has %d packed values, but shape %v needs %d", what, len(d), tp.GetDims(), want)
		}
		raw = make([]byte, want)
		for i, v := range d {
			raw[i] = byte(v)
		}
	default:
		return nil, fmt.Errorf("%s: element type %s cannot be stored in typed fields", what, dt)
	}
	return raw, nil
}

// tensorToProto converts an ir.Tensor to a TensorProto (raw_data for numbers, string_data for
// strings).
func tensorToProto(t *ir.Tensor, name string) *onnxpb.TensorProto {
	tp := &onnxpb.TensorProto{Dims: append([]int64{}, t.Shape...), DataType: ptr(int32(t.DType))}
	if name != "" {
		tp.Name = ptr(name)
	}
	if t.DType == ir.String {
		tp.StringData = t.Strings
		return tp
	}
	tp.RawData = t.Raw
	if tp.RawData == nil {
		tp.RawData = []byte{}
	}
	return tp
}

func ptr[T any](v T) *T { return &v }

// DecodeTensor decodes a serialized TensorProto (an ONNX test-data .pb file).
func DecodeTensor(data []byte) (*ir.Tensor, string, error) {
	var tp onnxpb.TensorProto
	if err := unmarshal(data, &tp); err != nil {
		return nil, "", fmt.Errorf("not a TensorProto: %v", err)
	}
	t, err := tensorFromProto(&tp, fmt.Sprintf("tensor %q", tp.GetName()), nil)
	if err != nil {
		return nil, "", err
	}
	return t, tp.GetName(), nil
}

// EncodeTensor serializes a tensor as a TensorProto with the given name.
func EncodeTensor(t *ir.Tensor, name string) ([]byte, error) {
	return marshal(tensorToProto(t, name))
}
