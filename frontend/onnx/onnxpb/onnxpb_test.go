package onnxpb

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// testDataDir is where Debian's libonnx-testdata package installs the ONNX
// backend test models.
const testDataDir = "/usr/share/libonnx-testdata/data"

// unknownFields walks m and returns the paths of all messages that carry
// unknown fields, i.e. fields our schema does not declare.
func unknownFields(m protoreflect.Message, path string, out *[]string) {
	if u := m.GetUnknown(); len(u) > 0 {
		*out = append(*out, path)
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		p := path + "." + string(fd.Name())
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() != nil {
				v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
					unknownFields(mv.Message(), p+"["+k.String()+"]", out)
					return true
				})
			}
		case fd.IsList():
			if fd.Message() != nil {
				l := v.List()
				for i := 0; i < l.Len(); i++ {
					unknownFields(l.Get(i).Message(), p+"["+strconv.Itoa(i)+"]", out)
				}
			}
		case fd.Message() != nil:
			unknownFields(v.Message(), p, out)
		}
		return true
	})
}

// roundTrip decodes data into a fresh msg, checks for unknown fields, and
// checks that a deterministic re-encoding decodes to an equal message. It
// returns the decoded message, or nil if data does not decode.
func roundTrip(t *testing.T, name string, data []byte, newMsg func() proto.Message) proto.Message {
	t.Helper()
	m := newMsg()
	if err := proto.Unmarshal(data, m); err != nil {
		t.Errorf("%s: unmarshal: %v", name, err)
		return nil
	}
	var unk []string
	unknownFields(m.ProtoReflect(), string(m.ProtoReflect().Descriptor().Name()), &unk)
	if len(unk) > 0 {
		t.Errorf("%s: unknown fields in %d message(s), first: %s", name, len(unk), unk[0])
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Errorf("%s: marshal: %v", name, err)
		return m
	}
	m2 := newMsg()
	if err := proto.Unmarshal(b, m2); err != nil {
		t.Errorf("%s: re-unmarshal: %v", name, err)
		return m
	}
	if !proto.Equal(m, m2) {
		t.Errorf("%s: message changed after marshal/unmarshal round trip", name)
	}
	return m
}

// valueMessage returns a constructor for the message a test_data_set_*
// file is stored as. Tensors are TensorProto; sequence, map and optional
// values use the matching onnx-data message. The kind is taken from the
// type of the corresponding graph input or output of model.onnx.
func valueMessage(model *ModelProto, file string) func() proto.Message {
	tensor := func() proto.Message { return new(TensorProto) }
	if model == nil {
		return tensor
	}
	var vi []*ValueInfoProto
	name := strings.TrimSuffix(file, ".pb")
	var idx string
	switch {
	case strings.HasPrefix(name, "input_"):
		init := map[string]bool{}
		for _, t := range model.GetGraph().GetInitializer() {
			init[t.GetName()] = true
		}
		for _, in := range model.GetGraph().GetInput() {
			if !init[in.GetName()] {
				vi = append(vi, in)
			}
		}
		idx = strings.TrimPrefix(name, "input_")
	case strings.HasPrefix(name, "output_"):
		vi = model.GetGraph().GetOutput()
		idx = strings.TrimPrefix(name, "output_")
	default:
		return tensor
	}
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 || i >= len(vi) {
		return tensor
	}
	switch vi[i].GetType().GetValue().(type) {
	case *TypeProto_SequenceType:
		return func() proto.Message { return new(SequenceProto) }
	case *TypeProto_MapType:
		return func() proto.Message { return new(MapProto) }
	case *TypeProto_OptionalType:
		return func() proto.Message { return new(OptionalProto) }
	case *TypeProto_SparseTensorType:
		return func() proto.Message { return new(SparseTensorProto) }
	}
	return tensor
}

func TestONNXTestData(t *testing.T) {
	if _, err := os.Stat(testDataDir); err != nil {
		t.Skipf("ONNX test data not found at %s (install the libonnx-testdata package): %v", testDataDir, err)
	}
	models := map[string]*ModelProto{} // by directory
	var modelPaths, valuePaths []string
	err := filepath.WalkDir(testDataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
		case d.Name() == "model.onnx":
			modelPaths = append(modelPaths, path)
		case strings.HasSuffix(d.Name(), ".pb") &&
			strings.HasPrefix(filepath.Base(filepath.Dir(path)), "test_data_set_"):
			valuePaths = append(valuePaths, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(modelPaths) == 0 {
		t.Fatalf("no model.onnx files found under %s", testDataDir)
	}

	for _, path := range modelPaths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(testDataDir, path)
		if m, ok := roundTrip(t, rel, data, func() proto.Message { return new(ModelProto) }).(*ModelProto); ok {
			models[filepath.Dir(path)] = m
		}
	}

	counts := map[string]int{}
	for _, path := range valuePaths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(testDataDir, path)
		newMsg := valueMessage(models[filepath.Dir(filepath.Dir(path))], filepath.Base(path))
		counts[string(newMsg().ProtoReflect().Descriptor().Name())]++
		roundTrip(t, rel, data, newMsg)
	}
	t.Logf("checked %d model.onnx files and %d test_data_set_*/*.pb files %v", len(modelPaths), len(valuePaths), counts)
}

// TestWireNumbers spot-checks field numbers that real files depend on.
func TestWireNumbers(t *testing.T) {
	checks := []struct {
		msg   proto.Message
		field protoreflect.Name
		num   protoreflect.FieldNumber
	}{
		{new(ModelProto), "ir_version", 1},
		{new(ModelProto), "opset_import", 8},
		{new(ModelProto), "graph", 7},
		{new(ModelProto), "functions", 25},
		{new(GraphProto), "initializer", 5},
		{new(GraphProto), "input", 11},
		{new(NodeProto), "domain", 7},
		{new(AttributeProto), "type", 20},
		{new(AttributeProto), "sparse_tensors", 23},
		{new(TensorProto), "raw_data", 9},
		{new(TensorProto), "data_location", 14},
		{new(TensorProto), "metadata_props", 16},
		{new(TypeProto), "optional_type", 9},
		{new(TypeProto), "sparse_tensor_type", 8},
		{new(FunctionProto), "attribute_proto", 11},
	}
	for _, c := range checks {
		md := c.msg.ProtoReflect().Descriptor()
		fd := md.Fields().ByName(c.field)
		if fd == nil {
			t.Errorf("%s.%s missing", md.Name(), c.field)
			continue
		}
		if fd.Number() != c.num {
			t.Errorf("%s.%s = %d, want %d", md.Name(), c.field, fd.Number(), c.num)
		}
	}
	if TensorProto_FLOAT4E2M1 != 23 || TensorProto_BFLOAT16 != 16 || AttributeProto_TYPE_PROTOS != 14 {
		t.Error("enum values differ from the ONNX spec")
	}
}

// TestUnknownFieldsDetected makes sure the walker used above really finds
// unknown fields deep in the tree.
func TestUnknownFieldsDetected(t *testing.T) {
	node := &NodeProto{OpType: proto.String("Relu")}
	node.ProtoReflect().SetUnknown(protowire.AppendVarint(protowire.AppendTag(nil, 999, protowire.VarintType), 1))
	m := &ModelProto{Graph: &GraphProto{Node: []*NodeProto{{}, node}}}
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	got := new(ModelProto)
	if err := proto.Unmarshal(b, got); err != nil {
		t.Fatal(err)
	}
	var unk []string
	unknownFields(got.ProtoReflect(), "ModelProto", &unk)
	if want := "ModelProto.graph.node[1]"; len(unk) != 1 || unk[0] != want {
		t.Errorf("unknown fields at %v, want [%s]", unk, want)
	}
}
