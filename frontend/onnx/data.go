package onnx

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/llmc/llmc/frontend/onnx/onnxpb"
	"github.com/llmc/llmc/ir"
)

// Test data in the ONNX layout: test_data_set_N/input_K.pb and output_K.pb, each a serialized
// TensorProto, or a SequenceProto / OptionalProto where the model's value is one.

// DecodeDatum decodes a .pb file holding a value of type t (tensor, sequence or optional).
func DecodeDatum(data []byte, t ir.Type) (ir.Datum, string, error) {
	switch t.Kind {
	case ir.KindSequence:
		var sp onnxpb.SequenceProto
		if err := unmarshal(data, &sp); err != nil {
			return nil, "", fmt.Errorf("not a SequenceProto: %v", err)
		}
		s, err := sequenceFromProto(&sp)
		return s, sp.GetName(), err
	case ir.KindOptional:
		var op onnxpb.OptionalProto
		if err := unmarshal(data, &op); err != nil {
			return nil, "", fmt.Errorf("not an OptionalProto: %v", err)
		}
		o, err := optionalFromProto(&op)
		return o, op.GetName(), err
	}
	tt, name, err := DecodeTensor(data)
	if err != nil {
		return nil, "", err
	}
	return tt, name, nil
}

func sequenceFromProto(sp *onnxpb.SequenceProto) (*ir.Sequence, error) {
	s := &ir.Sequence{Items: []*ir.Tensor{}}
	if len(sp.GetSequenceValues()) > 0 || len(sp.GetMapValues()) > 0 || len(sp.GetOptionalValues()) > 0 || len(sp.GetSparseTensorValues()) > 0 {
		return nil, fmt.Errorf("sequence %q: only sequences of tensors are supported", sp.GetName())
	}
	for i, tp := range sp.GetTensorValues() {
		t, err := tensorFromProto(tp, fmt.Sprintf("sequence %q element %d", sp.GetName(), i), nil)
		if err != nil {
			return nil, err
		}
		s.Items = append(s.Items, t)
	}
	if len(s.Items) > 0 {
		s.Elem = ir.UnrankedTensor(s.Items[0].DType)
	}
	return s, nil
}

func optionalFromProto(op *onnxpb.OptionalProto) (*ir.Optional, error) {
	o := &ir.Optional{}
	switch {
	case op.TensorValue != nil:
		t, err := tensorFromProto(op.TensorValue, fmt.Sprintf("optional %q", op.GetName()), nil)
		if err != nil {
			return nil, err
		}
		o.Value, o.Elem = t, t.Type()
	case op.SequenceValue != nil:
		s, err := sequenceFromProto(op.SequenceValue)
		if err != nil {
			return nil, err
		}
		o.Value, o.Elem = s, ir.SequenceOf(s.Elem)
	case op.SparseTensorValue != nil || op.MapValue != nil || op.OptionalValue != nil:
		return nil, fmt.Errorf("optional %q: unsupported element kind", op.GetName())
	}
	return o, nil
}

// EncodeDatum serializes a tensor, sequence or optional in the matching proto message.
func EncodeDatum(d ir.Datum, name string) ([]byte, error) {
	switch x := d.(type) {
	case *ir.Tensor:
		return EncodeTensor(x, name)
	case *ir.Sequence:
		return marshal(sequenceToProto(x, name))
	case *ir.Optional:
		op := &onnxpb.OptionalProto{Name: ptr(name)}
		switch v := x.Value.(type) {
		case nil:
			op.ElemType = ptr(int32(onnxpb.OptionalProto_TENSOR))
			if x.Elem.Kind == ir.KindSequence {
				op.ElemType = ptr(int32(onnxpb.OptionalProto_SEQUENCE))
			}
		case *ir.Tensor:
			op.ElemType = ptr(int32(onnxpb.OptionalProto_TENSOR))
			op.TensorValue = tensorToProto(v, "")
		case *ir.Sequence:
			op.ElemType = ptr(int32(onnxpb.OptionalProto_SEQUENCE))
			op.SequenceValue = sequenceToProto(v, "")
		}
		return marshal(op)
	}
	return nil, fmt.Errorf("cannot encode %T", d)
}

func sequenceToProto(s *ir.Sequence, name string) *onnxpb.SequenceProto {
	sp := &onnxpb.SequenceProto{ElemType: ptr(int32(onnxpb.SequenceProto_TENSOR))}
	if name != "" {
		sp.Name = ptr(name)
	}
	for _, t := range s.Items {
		sp.TensorValues = append(sp.TensorValues, tensorToProto(t, ""))
	}
	return sp
}

// TestDataSet is one test_data_set_N folder: inputs and expected outputs in graph order.
type TestDataSet struct {
	Dir     string
	Inputs  map[string]ir.Datum // by graph-input name
	Outputs []ir.Datum          // expected outputs, in graph-output order (nil where absent)
}

// ReadTestDataSet reads dir's input_K.pb / output_K.pb files for graph g. Inputs are matched to
// g's inputs by position (the ONNX convention; the names inside the files are advisory).
func ReadTestDataSet(dir string, g *ir.Graph) (*TestDataSet, error) {
	ins, err := numberedFiles(dir, "input_")
	if err != nil {
		return nil, err
	}
	outs, err := numberedFiles(dir, "output_")
	if err != nil {
		return nil, err
	}
	ds := &TestDataSet{Dir: dir, Inputs: map[string]ir.Datum{}, Outputs: make([]ir.Datum, len(g.Outputs))}
	if len(ins) > len(g.Inputs) {
		return nil, fmt.Errorf("%s: %d input files, but the model has %d inputs", dir, len(ins), len(g.Inputs))
	}
	for k, path := range ins {
		d, err := readDatum(path, g.Inputs[k].Type)
		if err != nil {
			return nil, err
		}
		ds.Inputs[g.Inputs[k].Name] = d
	}
	if len(outs) > len(g.Outputs) {
		return nil, fmt.Errorf("%s: %d output files, but the model has %d outputs", dir, len(outs), len(g.Outputs))
	}
	for k, path := range outs {
		d, err := readDatum(path, g.Outputs[k].Type)
		if err != nil {
			return nil, err
		}
		ds.Outputs[k] = d
	}
	return ds, nil
}

// ReadInputs reads input_K.pb files of dir and binds them to g's inputs by position.
func ReadInputs(dir string, g *ir.Graph) (map[string]ir.Datum, error) {
	ds, err := ReadTestDataSet(dir, g)
	if err != nil {
		return nil, err
	}
	return ds.Inputs, nil
}

func readDatum(path string, t ir.Type) (ir.Datum, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	d, _, err := DecodeDatum(data, t)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	// Older ONNX test data stores bfloat16 tensors as uint16 words; reinterpret them.
	if tt, ok := d.(*ir.Tensor); ok && tt.DType == ir.Uint16 && t.Kind == ir.KindTensor && t.DType == ir.BFloat16 {
		tt.DType = ir.BFloat16
	}
	return d, nil
}

// numberedFiles lists prefixK.pb files of dir ordered by K, requiring K = 0..n-1.
func numberedFiles(dir, prefix string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	byNum := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, ".pb") {
			continue
		}
		k, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, prefix), ".pb"))
		if err != nil || k < 0 || k > 1<<16 {
			continue
		}
		byNum[k] = filepath.Join(dir, name)
	}
	nums := make([]int, 0, len(byNum))
	for k := range byNum {
		nums = append(nums, k)
	}
	sort.Ints(nums)
	out := make([]string, len(nums))
	for i, k := range nums {
		if k != i {
			return nil, fmt.Errorf("%s: %s%d.pb is missing", dir, prefix, i)
		}
		out[i] = byNum[k]
	}
	return out, nil
}
