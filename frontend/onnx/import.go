// Package onnx imports ONNX models (protobuf ModelProto) into llmc's IR and exports IR graphs back
// to ONNX. The schema and bindings are llmc's own (package onnxpb).
package onnx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/llmc/llmc/frontend/onnx/onnxpb"
	"github.com/llmc/llmc/ir"
)

// MaxModelBytes bounds the size of a model file read into memory (the protobuf limit).
const MaxModelBytes = 2<<30 - 1

// LoadOptions tune Load and Decode.
type LoadOptions struct {
	// BaseDir is the directory external data is resolved in (and confined to). Load sets it to
	// the model file's directory. Empty means external data is refused.
	BaseDir string
	// SkipInference leaves types as the file declares them (no propagation, no verification).
	SkipInference bool
	// InlineFunctions inlines every model-local function, including the definitions of llmc's
	// own fused ops that calls otherwise keep as one node (to run exactly what other runtimes run).
	InlineFunctions bool
}

// Load reads and imports the model at path.
func Load(path string) (*ir.Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not an ONNX model", path)
	}
	if st.Size() > MaxModelBytes {
		return nil, fmt.Errorf("%s: %d bytes is over the 2 GiB protobuf limit (large weights belong in external data)", path, st.Size())
	}
	data, release, unmap, err := mapFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	defer unmap()
	if len(data) == 0 {
		return nil, fmt.Errorf("%s: %w: the file is empty", path, ErrNotONNX)
	}
	mp, err := decodeSplit(data, release)
	if err == errSplitUnsupported {
		mp = &onnxpb.ModelProto{}
		if err = unmarshal(data, mp); err != nil {
			err = fmt.Errorf("%w: %v", ErrNotONNX, err)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m, err := FromProto(mp, LoadOptions{BaseDir: filepath.Dir(path)})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func unmarshal(data []byte, m proto.Message) error {
	return proto.UnmarshalOptions{RecursionLimit: 200}.Unmarshal(data, m)
}

func marshal(m proto.Message) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(m)
}

// ErrNotONNX is returned for input that is not a parseable ModelProto.
var ErrNotONNX = errors.New("not an ONNX model")

// Decode imports a serialized ModelProto.
func Decode(data []byte, opts LoadOptions) (*ir.Model, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: the file is empty", ErrNotONNX)
	}
	mp, err := decodeSplit(data, nil)
	if err == errSplitUnsupported {
		mp = &onnxpb.ModelProto{}
		if err = unmarshal(data, mp); err != nil {
			err = fmt.Errorf("%w: %v", ErrNotONNX, err)
		}
	}
	if err != nil {
		return nil, err
	}
	return FromProto(mp, opts)
}

// FromProto imports a decoded ModelProto.
func FromProto(mp *onnxpb.ModelProto, opts LoadOptions) (*ir.Model, error) {
	if mp.Graph == nil {
		return nil, fmt.Errorf("%w: the model has no graph", ErrNotONNX)
	}
	m := &ir.Model{
		IRVersion:       mp.GetIrVersion(),
		ProducerName:    mp.GetProducerName(),
		ProducerVersion: mp.GetProducerVersion(),
		Domain:          mp.GetDomain(),
		ModelVersion:    mp.GetModelVersion(),
		Doc:             mp.GetDocString(),
		Metadata:        kvs(mp.GetMetadataProps()),
	}
	opsets := map[string]int64{}
	for _, o := range mp.GetOpsetImport() {
		d := o.GetDomain()
		if d == "ai.onnx" {
			d = ""
		}
		if o.GetVersion() <= 0 {
			return nil, fmt.Errorf("opset import of domain %q has version %d", o.GetDomain(), o.GetVersion())
		}
		opsets[d] = o.GetVersion()
	}
	if len(mp.GetOpsetImport()) == 0 {
		opsets[""] = 1 // IR version 1-2 models had no opset imports
	}
	im := &importer{opts: opts, funcs: map[string]*onnxpb.FunctionProto{}}
	if opts.BaseDir != "" {
		im.ext = &dirResolver{base: opts.BaseDir, files: map[string]*os.File{}}
		defer im.ext.close()
	}
	for _, f := range mp.GetFunctions() {
		key := opKeyOf(f.GetDomain(), f.GetName())
		if _, dup := im.funcs[key]; dup {
			return nil, fmt.Errorf("model-local function %s is defined twice", key)
		}
		im.funcs[key] = f
	}
	for key, f := range im.funcs {
		if !opts.InlineFunctions && isOwnFunction(f) {
			delete(im.funcs, key) // llmc's own fused op: calls stay one node
		}
	}
	g, err := im.graph(mp.Graph, nil, opsets, nil)
	if err != nil {
		return nil, err
	}
	m.Graph = g
	if im.ext != nil {
		m.ExternalFiles = im.ext.used
	}
	if !opts.SkipInference {
		if err := ir.InferTypes(g); err != nil {
			return nil, err
		}
		if err := ir.Verify(g); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func opKeyOf(domain, name string) string {
	if domain == "ai.onnx" {
		domain = ""
	}
	return domain + "::" + name
}

func kvs(ps []*onnxpb.StringStringEntryProto) []ir.KV {
	var out []ir.KV
	for _, p := range ps {
		out = append(out, ir.KV{Key: p.GetKey(), Value: p.GetValue()})
	}
	return out
}

type importer struct {
	opts   LoadOptions
	ext    *dirResolver
	funcs  map[string]*onnxpb.FunctionProto
	inline int // counter for unique names of inlined function bodies
}

// scope resolves value names: a graph's own names, then enclosing graphs'.
type scope struct {
	vals   map[string]*ir.Value
	parent *scope
}

func (s *scope) lookup(name string) *ir.Value {
	for ; s != nil; s = s.parent {
		if v, ok := s.vals[name]; ok {
			return v
		}
	}
	return nil
}

func (im *importer) resolver() externalResolver {
	if im.ext == nil {
		return nil
	}
	return im.ext
}

// graph imports a GraphProto. parent is nil for the main graph.
func (im *importer) graph(gp *onnxpb.GraphProto, parent *ir.Graph, opsets map[string]int64, outer *scope) (*ir.Graph, error) {
	g := &ir.Graph{Name: gp.GetName(), Doc: gp.GetDocString(), Parent: parent, Metadata: kvs(gp.GetMetadataProps())}
	if parent == nil {
		g.Opsets = opsets
	}
	sc := &scope{vals: map[string]*ir.Value{}, parent: outer}
	where := func() string {
		if g.Name == "" {
			if parent == nil {
				return "main graph"
			}
			return "subgraph"
		}
		return fmt.Sprintf("graph %q", g.Name)
	}
	define := func(v *ir.Value, what string) error {
		if v.Name == "" {
			return fmt.Errorf("%s: %s has an empty name", where(), what)
		}
		if _, dup := sc.vals[v.Name]; dup {
			return fmt.Errorf("%s: value %q is defined twice (again as %s)", where(), v.Name, what)
		}
		sc.vals[v.Name] = v
		return nil
	}
	declared := map[string]ir.Type{}
	for _, vi := range gp.GetValueInfo() {
		t, err := typeFromProto(vi.GetType())
		if err != nil {
			return nil, fmt.Errorf("%s: value_info %q: %v", where(), vi.GetName(), err)
		}
		declared[vi.GetName()] = t
	}
	for _, vi := range gp.GetOutput() {
		t, err := typeFromProto(vi.GetType())
		if err != nil {
			return nil, fmt.Errorf("%s: output %q: %v", where(), vi.GetName(), err)
		}
		declared[vi.GetName()] = t
	}
	// Initializers first: an input with the name of an initializer is, in old IR versions, an
	// input with a default value; llmc treats it as the constant.
	inits := map[string]bool{}
	for i, tp := range gp.GetInitializer() {
		name := tp.GetName()
		what := fmt.Sprintf("initializer %q", name)
		if name == "" {
			what = fmt.Sprintf("initializer #%d", i)
		}
		t, err := tensorFromProto(tp, what, im.resolver())
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where(), err)
		}
		v := &ir.Value{Name: name, Type: t.Type(), Const: t, Doc: tp.GetDocString()}
		if err := define(v, what); err != nil {
			return nil, err
		}
		inits[name] = true
		g.Consts = append(g.Consts, v)
	}
	for i, sp := range gp.GetSparseInitializer() {
		t, err := sparseToDense(sp, fmt.Sprintf("sparse initializer #%d", i), im.resolver())
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where(), err)
		}
		name := sp.GetValues().GetName()
		v := &ir.Value{Name: name, Type: t.Type(), Const: t}
		if err := define(v, "sparse initializer"); err != nil {
			return nil, err
		}
		inits[name] = true
		g.Consts = append(g.Consts, v)
	}
	for _, vi := range gp.GetInput() {
		if inits[vi.GetName()] {
			continue
		}
		t, err := typeFromProto(vi.GetType())
		if err != nil {
			return nil, fmt.Errorf("%s: input %q: %v", where(), vi.GetName(), err)
		}
		v := &ir.Value{Name: vi.GetName(), Type: t, Doc: vi.GetDocString()}
		if err := define(v, "graph input"); err != nil {
			return nil, err
		}
		g.Inputs = append(g.Inputs, v)
	}
	nodes, err := im.expandFunctions(gp.GetNode(), where())
	if err != nil {
		return nil, err
	}
	order, err := topoOrder(nodes, sc, where())
	if err != nil {
		return nil, err
	}
	for _, idx := range order {
		np := nodes[idx]
		n := &ir.Node{Name: np.GetName(), Op: np.GetOpType(), Domain: np.GetDomain(), Doc: np.GetDocString()}
		if n.Domain == "ai.onnx" {
			n.Domain = ""
		}
		if n.Op == "" {
			return nil, fmt.Errorf("%s: node %q has no op type", where(), n.Name)
		}
		if n.Domain != "" {
			if _, ok := opsets[n.Domain]; !ok && parent == nil {
				return nil, fmt.Errorf("%s: %s uses domain %q, which the model does not import", where(), n.Describe(), n.Domain)
			}
		}
		for i, name := range np.GetInput() {
			if name == "" {
				n.Inputs = append(n.Inputs, nil)
				continue
			}
			v := sc.lookup(name)
			if v == nil {
				return nil, fmt.Errorf("%s: %s: input %d %q is not defined anywhere (no graph input, initializer or node output has that name)", where(), n.Describe(), i, name)
			}
			n.Inputs = append(n.Inputs, v)
		}
		// trailing omitted inputs carry no meaning
		for len(n.Inputs) > 0 && n.Inputs[len(n.Inputs)-1] == nil {
			n.Inputs = n.Inputs[:len(n.Inputs)-1]
		}
		for _, ap := range np.GetAttribute() {
			a, err := im.attr(ap, g, opsets, sc, n)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: attribute %q: %w", where(), n.Describe(), ap.GetName(), err)
			}
			if n.Attr(a.Name) != nil {
				return nil, fmt.Errorf("%s: %s: attribute %q given twice", where(), n.Describe(), a.Name)
			}
			n.SetAttr(a)
		}
		for _, name := range np.GetOutput() {
			if name == "" {
				n.Outputs = append(n.Outputs, nil)
				continue
			}
			v := &ir.Value{Name: name, Def: n, Type: declared[name]}
			if err := define(v, fmt.Sprintf("output of %s", n.Describe())); err != nil {
				return nil, err
			}
			n.Outputs = append(n.Outputs, v)
		}
		for len(n.Outputs) > 0 && n.Outputs[len(n.Outputs)-1] == nil {
			n.Outputs = n.Outputs[:len(n.Outputs)-1]
		}
		if err := ir.CheckNodeContract(n, g.OpsetVersion(n.Domain)); err != nil {
			return nil, fmt.Errorf("%s: %w", where(), err)
		}
		g.Nodes = append(g.Nodes, n)
	}
	for _, vi := range gp.GetOutput() {
		v := sc.lookup(vi.GetName())
		if v == nil {
			return nil, fmt.Errorf("%s: output %q is not defined by any input, initializer or node", where(), vi.GetName())
		}
		if t, ok := ir.Refine(v.Type, declared[vi.GetName()]); ok {
			v.Type = t
		} else {
			return nil, fmt.Errorf("%s: output %q is declared %s but is %s", where(), vi.GetName(), declared[vi.GetName()], v.Type)
		}
		g.Outputs = append(g.Outputs, v)
	}
	return g, nil
}

// topoOrder returns node indices in an order where every value is defined before use. ONNX
// requires files to be sorted already; exporters occasionally are not, so llmc sorts, and fails
// on cycles and on names defined by two nodes.
func topoOrder(nodes []*onnxpb.NodeProto, sc *scope, where string) ([]int, error) {
	producer := map[string]int{}
	for i, n := range nodes {
		for _, o := range n.GetOutput() {
			if o == "" {
				continue
			}
			if j, dup := producer[o]; dup {
				return nil, fmt.Errorf("%s: value %q is produced by two nodes (%q and %q)", where, o, nodes[j].GetName(), n.GetName())
			}
			if sc.vals[o] != nil {
				return nil, fmt.Errorf("%s: node %q redefines %q, already a graph input or initializer", where, n.GetName(), o)
			}
			producer[o] = i
		}
	}
	deps := make([][]int, len(nodes))
	sorted := true
	for i, n := range nodes {
		names := append([]string{}, n.GetInput()...)
		for _, a := range n.GetAttribute() {
			if a.G != nil {
				names = append(names, freeNames(a.G)...)
			}
			for _, sg := range a.GetGraphs() {
				names = append(names, freeNames(sg)...)
			}
		}
		for _, name := range names {
			if j, ok := producer[name]; ok && name != "" {
				deps[i] = append(deps[i], j)
				if j >= i {
					sorted = false
				}
			}
		}
	}
	order := make([]int, 0, len(nodes))
	if sorted {
		for i := range nodes {
			order = append(order, i)
		}
		return order, nil
	}
	// iterative DFS post-order keeps the original order where possible
	state := make([]uint8, len(nodes)) // 0 new, 1 visiting, 2 done
	for root := range nodes {
		if state[root] != 0 {
			continue
		}
		type item struct{ node, next int }
		stack := []item{{root, 0}}
		state[root] = 1
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.next < len(deps[top.node]) {
				d := deps[top.node][top.next]
				top.next++
				switch state[d] {
				case 0:
					state[d] = 1
					stack = append(stack, item{d, 0})
				case 1:
					return nil, fmt.Errorf("%s: the graph has a cycle through node %q", where, nodes[d].GetName())
				}
				continue
			}
			state[top.node] = 2
			order = append(order, top.node)
			stack = stack[:len(stack)-1]
		}
	}
	return order, nil
}

// freeNames lists names a subgraph reads that it does not define itself.
func freeNames(gp *onnxpb.GraphProto) []string {
	defined := map[string]bool{}
	for _, v := range gp.GetInput() {
		defined[v.GetName()] = true
	}
	for _, t := range gp.GetInitializer() {
		defined[t.GetName()] = true
	}
	for _, n := range gp.GetNode() {
		for _, o := range n.GetOutput() {
			defined[o] = true
		}
	}
	var free []string
	for _, n := range gp.GetNode() {
		for _, in := range n.GetInput() {
			if in != "" && !defined[in] {
				free = append(free, in)
			}
		}
		for _, a := range n.GetAttribute() {
			if a.G != nil {
				for _, f := range freeNames(a.G) {
					if !defined[f] {
						free = append(free, f)
					}
				}
			}
			for _, sg := range a.GetGraphs() {
				for _, f := range freeNames(sg) {
					if !defined[f] {
						free = append(free, f)
					}
				}
			}
		}
	}
	for _, o := range gp.GetOutput() {
		if !defined[o.GetName()] {
			free = append(free, o.GetName())
		}
	}
	return free
}

func (im *importer) attr(ap *onnxpb.AttributeProto, g *ir.Graph, opsets map[string]int64, sc *scope, n *ir.Node) (ir.Attr, error) {
	a := ir.Attr{Name: ap.GetName(), Kind: ir.AttrKind(ap.GetType()), RefAttrName: ap.GetRefAttrName(), Doc: ap.GetDocString()}
	if a.Name == "" {
		return a, errors.New("attribute without a name")
	}
	if a.Kind == ir.AttrUndefined {
		// IR version 1 files may omit the type; deduce it from the one populated field.
		a.Kind = guessAttrKind(ap)
		if a.Kind == ir.AttrUndefined {
			return a, errors.New("attribute has no type and no value")
		}
	}
	what := fmt.Sprintf("tensor of attribute %q", a.Name)
	switch a.Kind {
	case ir.AttrFloat:
		a.F = ap.GetF()
	case ir.AttrInt:
		a.I = ap.GetI()
	case ir.AttrString:
		a.S = ap.GetS()
		if a.S == nil {
			a.S = []byte{}
		}
	case ir.AttrFloats:
		a.Floats = ap.GetFloats()
		if a.Floats == nil {
			a.Floats = []float32{}
		}
	case ir.AttrInts:
		a.Ints = ap.GetInts()
		if a.Ints == nil {
			a.Ints = []int64{}
		}
	case ir.AttrStrings:
		a.Strings = ap.GetStrings()
		if a.Strings == nil {
			a.Strings = [][]byte{}
		}
	case ir.AttrTensor:
		if ap.T == nil {
			return a, errors.New("tensor attribute without a tensor")
		}
		t, err := tensorFromProto(ap.T, what, im.resolver())
		if err != nil {
			return a, err
		}
		a.T = t
	case ir.AttrTensors:
		for _, tp := range ap.GetTensors() {
			t, err := tensorFromProto(tp, what, im.resolver())
			if err != nil {
				return a, err
			}
			a.Tensors = append(a.Tensors, t)
		}
	case ir.AttrSparseTensor:
		if ap.SparseTensor == nil {
			return a, errors.New("sparse tensor attribute without a value")
		}
		st, err := sparseFromProto(ap.SparseTensor, what, im.resolver())
		if err != nil {
			return a, err
		}
		a.Sparse = st
	case ir.AttrSparseTensors:
		for _, sp := range ap.GetSparseTensors() {
			st, err := sparseFromProto(sp, what, im.resolver())
			if err != nil {
				return a, err
			}
			a.SparseTensors = append(a.SparseTensors, st)
		}
	case ir.AttrGraph:
		if ap.G == nil {
			return a, errors.New("graph attribute without a graph")
		}
		sg, err := im.graph(ap.G, g, opsets, sc)
		if err != nil {
			return a, err
		}
		a.G = sg
	case ir.AttrGraphs:
		for _, gp := range ap.GetGraphs() {
			sg, err := im.graph(gp, g, opsets, sc)
			if err != nil {
				return a, err
			}
			a.Graphs = append(a.Graphs, sg)
		}
	case ir.AttrType:
		t, err := typeFromProto(ap.GetTp())
		if err != nil {
			return a, err
		}
		a.Type = &t
	case ir.AttrTypes:
		for _, tp := range ap.GetTypeProtos() {
			t, err := typeFromProto(tp)
			if err != nil {
				return a, err
			}
			a.Types = append(a.Types, t)
		}
	default:
		return a, fmt.Errorf("unknown attribute type %d", ap.GetType())
	}
	return a, nil
}

func guessAttrKind(ap *onnxpb.AttributeProto) ir.AttrKind {
	switch {
	case ap.F != nil:
		return ir.AttrFloat
	case ap.I != nil:
		return ir.AttrInt
	case ap.S != nil:
		return ir.AttrString
	case ap.T != nil:
		return ir.AttrTensor
	case ap.G != nil:
		return ir.AttrGraph
	case len(ap.Floats) > 0:
		return ir.AttrFloats
	case len(ap.Ints) > 0:
		return ir.AttrInts
	case len(ap.Strings) > 0:
		return ir.AttrStrings
	case len(ap.Tensors) > 0:
		return ir.AttrTensors
	case len(ap.Graphs) > 0:
		return ir.AttrGraphs
	}
	return ir.AttrUndefined
}

func sparseFromProto(sp *onnxpb.SparseTensorProto, what string, ext externalResolver) (*ir.SparseTensor, error) {
	if sp.Values == nil || sp.Indices == nil {
		return nil, fmt.Errorf("%s: sparse tensor without values or indices", what)
	}
	vals, err := tensorFromProto(sp.Values, what+" values", ext)
	if err != nil {
		return nil, err
	}
	idx, err := tensorFromProto(sp.Indices, what+" indices", ext)
	if err != nil {
		return nil, err
	}
	if idx.DType != ir.Int64 {
		return nil, fmt.Errorf("%s: sparse indices must be int64, got %s", what, idx.DType)
	}
	return &ir.SparseTensor{Values: vals, Indices: idx, Dims: append([]int64{}, sp.GetDims()...)}, nil
}

// sparseToDense converts a COO sparse tensor into a dense one (for sparse initializers and
// Constant's sparse_value).
func sparseToDense(sp *onnxpb.SparseTensorProto, what string, ext externalResolver) (*ir.Tensor, error) {
	st, err := sparseFromProto(sp, what, ext)
	if err != nil {
		return nil, err
	}
	return ir.SparseToDense(st, 1<<32)
}

func typeFromProto(tp *onnxpb.TypeProto) (ir.Type, error) {
	if tp == nil {
		return ir.Type{}, nil
	}
	switch v := tp.Value.(type) {
	case *onnxpb.TypeProto_TensorType:
		return tensorTypeFromProto(ir.KindTensor, v.TensorType.GetElemType(), v.TensorType.GetShape())
	case *onnxpb.TypeProto_SparseTensorType:
		return tensorTypeFromProto(ir.KindSparseTensor, v.SparseTensorType.GetElemType(), v.SparseTensorType.GetShape())
	case *onnxpb.TypeProto_SequenceType:
		e, err := typeFromProto(v.SequenceType.GetElemType())
		if err != nil {
			return ir.Type{}, err
		}
		return ir.SequenceOf(e), nil
	case *onnxpb.TypeProto_OptionalType:
		e, err := typeFromProto(v.OptionalType.GetElemType())
		if err != nil {
			return ir.Type{}, err
		}
		return ir.OptionalOf(e), nil
	case *onnxpb.TypeProto_MapType:
		e, err := typeFromProto(v.MapType.GetValueType())
		if err != nil {
			return ir.Type{}, err
		}
		return ir.Type{Kind: ir.KindMap, KeyDType: ir.DType(v.MapType.GetKeyType()), Elem: &e}, nil
	case nil:
		return ir.Type{}, nil
	}
	return ir.Type{}, fmt.Errorf("unsupported type %T", tp.Value)
}

func tensorTypeFromProto(kind ir.Kind, elem int32, sp *onnxpb.TensorShapeProto) (ir.Type, error) {
	dt := ir.DType(elem)
	if elem < 0 || elem > 255 || (elem != 0 && !dt.Valid()) {
		return ir.Type{}, fmt.Errorf("unknown element type %d", elem)
	}
	t := ir.Type{Kind: kind, DType: dt}
	if sp == nil {
		return t, nil
	}
	t.Ranked = true
	t.Shape = make(ir.Shape, len(sp.GetDim()))
	for i, d := range sp.GetDim() {
		switch {
		case d.GetDimParam() != "":
			t.Shape[i] = ir.Sym(d.GetDimParam())
		case d.Value != nil:
			if _, isVal := d.Value.(*onnxpb.TensorShapeProto_Dimension_DimValue); isVal {
				if d.GetDimValue() < 0 {
					return ir.Type{}, fmt.Errorf("negative dimension %d", d.GetDimValue())
				}
				t.Shape[i] = ir.D(d.GetDimValue())
			} else {
				t.Shape[i] = ir.UnknownDim()
			}
		default:
			t.Shape[i] = ir.UnknownDim()
		}
	}
	return t, nil
}

// expandFunctions inlines calls to model-local functions (recursively, with a depth cap), giving
// the body's internal values unique names.
func (im *importer) expandFunctions(nodes []*onnxpb.NodeProto, where string) ([]*onnxpb.NodeProto, error) {
	return im.expand(nodes, where, 0)
}

func (im *importer) expand(nodes []*onnxpb.NodeProto, where string, depth int) ([]*onnxpb.NodeProto, error) {
	if len(im.funcs) == 0 {
		return nodes, nil
	}
	if depth > 32 {
		return nil, fmt.Errorf("%s: model-local functions nest deeper than 32 levels (recursion?)", where)
	}
	var out []*onnxpb.NodeProto
	for _, n := range nodes {
		f := im.funcs[opKeyOf(n.GetDomain(), n.GetOpType())]
		if f == nil {
			out = append(out, n)
			continue
		}
		body, err := im.instantiate(f, n)
		if err != nil {
			return nil, fmt.Errorf("%s: node %q calls function %s: %v", where, n.GetName(), n.GetOpType(), err)
		}
		body, err = im.expand(body, where, depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, body...)
	}
	return out, nil
}

func (im *importer) instantiate(f *onnxpb.FunctionProto, call *onnxpb.NodeProto) ([]*onnxpb.NodeProto, error) {
	im.inline++
	prefix := fmt.Sprintf("%s__%s_%d__", call.GetName(), f.GetName(), im.inline)
	rename := map[string]string{}
	for i, formal := range f.GetInput() {
		actual := ""
		if i < len(call.GetInput()) {
			actual = call.GetInput()[i]
		}
		rename[formal] = actual
	}
	for i, formal := range f.GetOutput() {
		actual := ""
		if i < len(call.GetOutput()) {
			actual = call.GetOutput()[i]
		}
		rename[formal] = actual
	}
	if len(call.GetInput()) > len(f.GetInput()) || len(call.GetOutput()) > len(f.GetOutput()) {
		return nil, fmt.Errorf("called with %d inputs / %d outputs, function takes %d / %d", len(call.GetInput()), len(call.GetOutput()), len(f.GetInput()), len(f.GetOutput()))
	}
	callAttrs := map[string]*onnxpb.AttributeProto{}
	for _, a := range call.GetAttribute() {
		callAttrs[a.GetName()] = a
	}
	defaults := map[string]*onnxpb.AttributeProto{}
	for _, a := range f.GetAttributeProto() {
		defaults[a.GetName()] = a
	}
	name := func(s string) string {
		if s == "" {
			return ""
		}
		if r, ok := rename[s]; ok {
			return r
		}
		return prefix + s
	}
	var out []*onnxpb.NodeProto
	for _, n := range f.GetNode() {
		c := proto.Clone(n).(*onnxpb.NodeProto)
		c.Name = ptr(prefix + n.GetName())
		for i, s := range c.Input {
			c.Input[i] = name(s)
		}
		for i, s := range c.Output {
			c.Output[i] = name(s)
		}
		var attrs []*onnxpb.AttributeProto
		for _, a := range c.Attribute {
			if ref := a.GetRefAttrName(); ref != "" {
				src := callAttrs[ref]
				if src == nil {
					src = defaults[ref]
				}
				if src == nil {
					continue // the attribute is omitted: the op's own default applies
				}
				b := proto.Clone(src).(*onnxpb.AttributeProto)
				b.Name = a.Name
				attrs = append(attrs, b)
				continue
			}
			if a.G != nil || len(a.Graphs) > 0 {
				return nil, errors.New("functions with subgraph attributes are not supported")
			}
			attrs = append(attrs, a)
		}
		c.Attribute = attrs
		out = append(out, c)
	}
	return out, nil
}

// dirResolver reads external data files, confined to base: absolute paths, ".." escapes and
// symbolic links leading outside base are refused.
type dirResolver struct {
	base  string
	files map[string]*os.File
	used  []string // locations read, in first-use order
}

func (r *dirResolver) close() {
	for _, f := range r.files {
		f.Close()
	}
}

func (r *dirResolver) read(tensorName, location string, offset, length, want int64) ([]byte, error) {
	if filepath.IsAbs(location) || strings.HasPrefix(location, "/") || strings.HasPrefix(location, `\`) {
		return nil, fmt.Errorf("external data location %q is absolute; it must be relative to the model's directory", location)
	}
	clean := filepath.Clean(filepath.FromSlash(location))
	if clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("external data location %q leaves the model's directory", location)
	}
	base, err := filepath.EvalSymlinks(r.base)
	if err != nil {
		return nil, err
	}
	base, err = filepath.Abs(base)
	if err != nil {
		return nil, err
	}
	full := filepath.Join(base, clean)
	real, err := filepath.EvalSymlinks(full)
	if err != nil {
		return nil, fmt.Errorf("external data file %q: %v", location, errors.Unwrap(err))
	}
	if rel, err := filepath.Rel(base, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("external data location %q resolves (through a link) outside the model's directory", location)
	}
	f := r.files[real]
	if f == nil {
		f, err = os.Open(real)
		if err != nil {
			return nil, err
		}
		r.files[real] = f
		r.used = append(r.used, location)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("external data location %q is not a regular file", location)
	}
	if length < 0 {
		length = want
	}
	if offset > st.Size() || length > st.Size()-offset {
		return nil, fmt.Errorf("external data %q: bytes [%d, %d) are past the end of the %d-byte file", location, offset, offset+length, st.Size())
	}
	buf := ir.MustTensor(ir.Uint8, length).Raw // 8-byte aligned
	if _, err := f.ReadAt(buf, offset); err != nil {
		return nil, fmt.Errorf("external data %q: %v", location, err)
	}
	return buf, nil
}

// sortedKeys returns a map's keys in order (deterministic export and messages).
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
