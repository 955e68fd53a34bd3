package onnx

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/llmc/llmc/frontend/onnx/onnxpb"
	"github.com/llmc/llmc/ir"
)

// ExportOptions tune Save and ToProto.
type ExportOptions struct {
	// ExternalData writes constants of at least ExternalThreshold bytes to one data file next to
	// the model (DataFile) instead of inside it. Save turns it on by itself when the model would
	// exceed the 2 GiB protobuf limit.
	ExternalData      bool
	ExternalThreshold int64  // default 1024 bytes
	DataFile          string // default: model file name + ".data"
	// Producer overrides the producer name written (default: the model's own, or "llmc").
	Producer string
}

// Save exports m to path (and, with external data, to a data file beside it).
func Save(m *ir.Model, path string, opts ExportOptions) error {
	if opts.ExternalThreshold <= 0 {
		opts.ExternalThreshold = 1024
	}
	if opts.DataFile == "" {
		opts.DataFile = filepath.Base(path) + ".data"
	}
	if !opts.ExternalData {
		_, bytes := m.Graph.ParamCount()
		if bytes > MaxModelBytes-(64<<20) {
			opts.ExternalData = true
		}
	}
	var ext *extWriter
	if opts.ExternalData {
		if filepath.Base(opts.DataFile) != opts.DataFile {
			return fmt.Errorf("external data file %q must be a plain file name (it is written next to the model)", opts.DataFile)
		}
		f, err := os.Create(filepath.Join(filepath.Dir(path), opts.DataFile))
		if err != nil {
			return err
		}
		defer f.Close()
		ext = &extWriter{f: f, name: opts.DataFile, threshold: opts.ExternalThreshold}
	}
	mp, err := toProto(m, opts, ext)
	if err != nil {
		return err
	}
	if ext != nil && ext.err != nil {
		return ext.err
	}
	return writeModel(path, mp)
}

// writeModel writes mp to path without building the serialized model in memory: the model and
// graph fields other than the initializers are marshaled (they are small), and each
// initializer's raw data is written straight from the tensor it aliases, so saving adds no copy
// of the weights. The bytes parse exactly as proto.Marshal's (field order within a message is
// free in protobuf: raw_data comes last in large initializers).
func writeModel(path string, mp *onnxpb.ModelProto) (err error) {
	gp := mp.Graph
	var inits []*onnxpb.TensorProto
	var graphRest []byte
	if gp != nil {
		// detach rather than proto.Clone, which would copy every weight
		inits = gp.Initializer
		gp.Initializer = nil
		graphRest, err = marshal(gp)
		gp.Initializer = inits
		if err != nil {
			return fmt.Errorf("encoding the graph: %v", err)
		}
	}
	mp.Graph = nil
	modelRest, err := marshal(mp)
	mp.Graph = gp
	if err != nil {
		return fmt.Errorf("encoding the model: %v", err)
	}
	// each initializer: its fields without raw_data (small), then raw_data
	type part struct {
		meta []byte
		raw  []byte
		size int
	}
	parts := make([]part, len(inits))
	graphLen := len(graphRest)
	for i, tp := range inits {
		var p part
		if len(tp.RawData) >= streamRawThreshold {
			p.raw = tp.RawData
			tp.RawData = nil
			p.meta, err = marshal(tp)
			tp.RawData = p.raw
			if err != nil {
				return fmt.Errorf("encoding initializer %q: %v", tp.GetName(), err)
			}
			p.size = len(p.meta) + protowire.SizeTag(fieldTensorRawData) + protowire.SizeBytes(len(p.raw))
		} else {
			if p.meta, err = marshal(tp); err != nil {
				return fmt.Errorf("encoding initializer %q: %v", tp.GetName(), err)
			}
			p.size = len(p.meta)
		}
		parts[i] = p
		graphLen += protowire.SizeTag(fieldGraphInitializer) + protowire.SizeBytes(p.size)
	}
	// written beside the target and renamed at the end, so a failed save leaves no torn model
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // name the file asked for, not the temporary one
		}
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chmod(f.Name(), 0o644)
		}
		if err == nil {
			err = os.Rename(f.Name(), path)
		}
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	w.Write(modelRest)
	if gp != nil {
		w.Write(protowire.AppendVarint(protowire.AppendTag(nil, fieldModelGraph, protowire.BytesType), uint64(graphLen)))
		for _, p := range parts {
			w.Write(protowire.AppendVarint(protowire.AppendTag(nil, fieldGraphInitializer, protowire.BytesType), uint64(p.size)))
			w.Write(p.meta)
			if p.raw != nil {
				w.Write(protowire.AppendVarint(protowire.AppendTag(nil, fieldTensorRawData, protowire.BytesType), uint64(len(p.raw))))
				w.Write(p.raw)
			}
		}
		w.Write(graphRest)
	}
	return w.Flush()
}

// streamRawThreshold is the raw_data size from which writeModel writes a tensor's bytes
// directly instead of marshaling them.
const streamRawThreshold = 4096

// fieldTensorRawData is TensorProto.raw_data's field number.
const fieldTensorRawData = 9

// Encode serializes m as a self-contained ModelProto (no external data).
func Encode(m *ir.Model) ([]byte, error) {
	mp, err := toProto(m, ExportOptions{}, nil)
	if err != nil {
		return nil, err
	}
	return marshal(mp)
}

// ToProto converts m to a ModelProto with all data inline.
func ToProto(m *ir.Model) (*onnxpb.ModelProto, error) { return toProto(m, ExportOptions{}, nil) }

type extWriter struct {
	f         *os.File
	name      string
	off       int64
	threshold int64
	err       error
}

// put appends data (aligned to 64 bytes so it can be mapped and viewed directly) and marks tp as
// external.
func (w *extWriter) put(tp *onnxpb.TensorProto) {
	if w.err != nil || int64(len(tp.RawData)) < w.threshold {
		return
	}
	if pad := (64 - w.off%64) % 64; pad > 0 {
		if _, err := w.f.Write(make([]byte, pad)); err != nil {
			w.err = err
			return
		}
		w.off += pad
	}
	if _, err := w.f.Write(tp.RawData); err != nil {
		w.err = err
		return
	}
	tp.ExternalData = []*onnxpb.StringStringEntryProto{
		{Key: ptr("location"), Value: ptr(w.name)},
		{Key: ptr("offset"), Value: ptr(fmt.Sprint(w.off))},
		{Key: ptr("length"), Value: ptr(fmt.Sprint(len(tp.RawData)))},
	}
	tp.DataLocation = ptr(onnxpb.TensorProto_EXTERNAL)
	w.off += int64(len(tp.RawData))
	tp.RawData = nil
}

func toProto(m *ir.Model, opts ExportOptions, ext *extWriter) (*onnxpb.ModelProto, error) {
	if m.Graph == nil {
		return nil, fmt.Errorf("model has no graph")
	}
	irv := m.IRVersion
	if irv == 0 {
		irv = 8
	}
	producer := m.ProducerName
	if opts.Producer != "" {
		producer = opts.Producer
	}
	if producer == "" {
		producer = "llmc"
	}
	mp := &onnxpb.ModelProto{IrVersion: ptr(irv), ProducerName: ptr(producer)}
	if m.ProducerVersion != "" {
		mp.ProducerVersion = ptr(m.ProducerVersion)
	}
	if m.Domain != "" {
		mp.Domain = ptr(m.Domain)
	}
	if m.ModelVersion != 0 {
		mp.ModelVersion = ptr(m.ModelVersion)
	}
	if m.Doc != "" {
		mp.DocString = ptr(m.Doc)
	}
	mp.MetadataProps = kvProtos(m.Metadata)
	// every domain a node uses must be imported; keep the model's versions
	opsets := map[string]int64{}
	for d, v := range m.Graph.Opsets {
		opsets[d] = v
	}
	var missing error
	m.Graph.Walk(func(g *ir.Graph) {
		for _, n := range g.Nodes {
			if _, ok := opsets[n.Domain]; !ok {
				s := n.Schema()
				if s == nil {
					missing = fmt.Errorf("%s: unknown op, cannot pick an opset for domain %q", n.Describe(), n.Domain)
					continue
				}
				opsets[n.Domain] = max(s.Since, 1)
			}
		}
	})
	if missing != nil {
		return nil, missing
	}
	funcs, err := functionProtos(m.Graph, opsets)
	if err != nil {
		return nil, err
	}
	if len(funcs) > 0 {
		mp.Functions = funcs
		if irv < 8 {
			// model-local functions exist from IR version 8
			mp.IrVersion = ptr(int64(8))
		}
	}
	for _, d := range sortedKeys(opsets) {
		mp.OpsetImport = append(mp.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: ptr(d), Version: ptr(opsets[d])})
	}
	gp, err := graphToProto(m.Graph, ext)
	if err != nil {
		return nil, err
	}
	mp.Graph = gp
	return mp, nil
}

func kvProtos(kv []ir.KV) []*onnxpb.StringStringEntryProto {
	var out []*onnxpb.StringStringEntryProto
	for _, p := range kv {
		out = append(out, &onnxpb.StringStringEntryProto{Key: ptr(p.Key), Value: ptr(p.Value)})
	}
	return out
}

func graphToProto(g *ir.Graph, ext *extWriter) (*onnxpb.GraphProto, error) {
	gp := &onnxpb.GraphProto{Name: ptr(g.Name)}
	if g.Doc != "" {
		gp.DocString = ptr(g.Doc)
	}
	gp.MetadataProps = kvProtos(g.Metadata)
	for _, v := range g.Inputs {
		gp.Input = append(gp.Input, valueInfo(v))
	}
	for _, c := range g.Consts {
		tp := tensorToProto(c.Const, c.Name)
		if c.Doc != "" {
			tp.DocString = ptr(c.Doc)
		}
		if ext != nil {
			ext.put(tp)
		}
		gp.Initializer = append(gp.Initializer, tp)
	}
	outputs := map[*ir.Value]bool{}
	for _, v := range g.Outputs {
		outputs[v] = true
	}
	name := func(v *ir.Value) string {
		if v == nil {
			return ""
		}
		return v.Name
	}
	for _, n := range g.Nodes {
		np := &onnxpb.NodeProto{OpType: ptr(n.Op)}
		if n.Name != "" {
			np.Name = ptr(n.Name)
		}
		if n.Domain != "" {
			np.Domain = ptr(n.Domain)
		}
		if n.Doc != "" {
			np.DocString = ptr(n.Doc)
		}
		for _, v := range n.Inputs {
			np.Input = append(np.Input, name(v))
		}
		for _, v := range n.Outputs {
			np.Output = append(np.Output, name(v))
			if v != nil && !outputs[v] && v.Type.Kind != ir.KindUnknown {
				gp.ValueInfo = append(gp.ValueInfo, valueInfo(v))
			}
		}
		for i := range n.Attrs {
			ap, err := attrToProto(&n.Attrs[i], ext)
			if err != nil {
				return nil, fmt.Errorf("%s: attribute %q: %v", n.Describe(), n.Attrs[i].Name, err)
			}
			np.Attribute = append(np.Attribute, ap)
		}
		gp.Node = append(gp.Node, np)
	}
	for _, v := range g.Outputs {
		gp.Output = append(gp.Output, valueInfo(v))
	}
	return gp, nil
}

func valueInfo(v *ir.Value) *onnxpb.ValueInfoProto {
	vi := &onnxpb.ValueInfoProto{Name: ptr(v.Name), Type: typeToProto(v.Type)}
	if v.Doc != "" {
		vi.DocString = ptr(v.Doc)
	}
	return vi
}

func typeToProto(t ir.Type) *onnxpb.TypeProto {
	shape := func() *onnxpb.TensorShapeProto {
		if !t.Ranked {
			return nil
		}
		sp := &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{}}
		for _, d := range t.Shape {
			dim := &onnxpb.TensorShapeProto_Dimension{}
			switch {
			case d.IsSymbolic():
				dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: d.Param}
			case d.IsConcrete():
				dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d.Value}
			}
			sp.Dim = append(sp.Dim, dim)
		}
		return sp
	}
	switch t.Kind {
	case ir.KindTensor:
		return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: ptr(int32(t.DType)), Shape: shape()}}}
	case ir.KindSparseTensor:
		return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_SparseTensorType{SparseTensorType: &onnxpb.TypeProto_SparseTensor{ElemType: ptr(int32(t.DType)), Shape: shape()}}}
	case ir.KindSequence:
		return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_SequenceType{SequenceType: &onnxpb.TypeProto_Sequence{ElemType: elemProto(t.Elem)}}}
	case ir.KindOptional:
		return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_OptionalType{OptionalType: &onnxpb.TypeProto_Optional{ElemType: elemProto(t.Elem)}}}
	case ir.KindMap:
		return &onnxpb.TypeProto{Value: &onnxpb.TypeProto_MapType{MapType: &onnxpb.TypeProto_Map{KeyType: ptr(int32(t.KeyDType)), ValueType: elemProto(t.Elem)}}}
	}
	return nil
}

func elemProto(t *ir.Type) *onnxpb.TypeProto {
	if t == nil {
		return nil
	}
	return typeToProto(*t)
}

func attrToProto(a *ir.Attr, ext *extWriter) (*onnxpb.AttributeProto, error) {
	ap := &onnxpb.AttributeProto{Name: ptr(a.Name), Type: ptr(onnxpb.AttributeProto_AttributeType(a.Kind))}
	if a.RefAttrName != "" {
		ap.RefAttrName = ptr(a.RefAttrName)
	}
	if a.Doc != "" {
		ap.DocString = ptr(a.Doc)
	}
	switch a.Kind {
	case ir.AttrFloat:
		ap.F = ptr(a.F)
	case ir.AttrInt:
		ap.I = ptr(a.I)
	case ir.AttrString:
		ap.S = a.S
		if ap.S == nil {
			ap.S = []byte{}
		}
	case ir.AttrFloats:
		ap.Floats = a.Floats
	case ir.AttrInts:
		ap.Ints = a.Ints
	case ir.AttrStrings:
		ap.Strings = a.Strings
	case ir.AttrTensor:
		ap.T = tensorToProto(a.T, "")
	case ir.AttrTensors:
		for _, t := range a.Tensors {
			ap.Tensors = append(ap.Tensors, tensorToProto(t, ""))
		}
	case ir.AttrSparseTensor:
		ap.SparseTensor = sparseToProto(a.Sparse)
	case ir.AttrSparseTensors:
		for _, s := range a.SparseTensors {
			ap.SparseTensors = append(ap.SparseTensors, sparseToProto(s))
		}
	case ir.AttrGraph:
		g, err := graphToProto(a.G, ext)
		if err != nil {
			return nil, err
		}
		ap.G = g
	case ir.AttrGraphs:
		for _, sg := range a.Graphs {
			g, err := graphToProto(sg, ext)
			if err != nil {
				return nil, err
			}
			ap.Graphs = append(ap.Graphs, g)
		}
	case ir.AttrType:
		ap.Tp = typeToProto(*a.Type)
	case ir.AttrTypes:
		for _, t := range a.Types {
			ap.TypeProtos = append(ap.TypeProtos, typeToProto(t))
		}
	default:
		return nil, fmt.Errorf("cannot export attribute kind %s", a.Kind)
	}
	return ap, nil
}

func sparseToProto(s *ir.SparseTensor) *onnxpb.SparseTensorProto {
	return &onnxpb.SparseTensorProto{Values: tensorToProto(s.Values, ""), Indices: tensorToProto(s.Indices, ""), Dims: s.Dims}
}
