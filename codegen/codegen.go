// Package codegen emits a Go package for a compiled model: generated code that calls the
// backend/cpu kernels in a fixed order on arena buffers whose offsets come from a liveness-based
// layout (computed once per input shape), with every constant GEMM operand pre-packed at compile
// time into a weights blob that is embedded (go:embed) or mapped from a file. The package has a
// typed API (New, Run with named fields per input and output), is safe for concurrent use, and
// allocates nothing per Run in steady state when callers Release their outputs.
package codegen

import (
	"bytes"
	"fmt"
	"go/format"
	"math"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/llmc/llmc/backend/cpu"
	"github.com/llmc/llmc/ir"
)

// Options configure Generate.
type Options struct {
	Package string // Go package name (default: derived from the output directory)
	// ExternalWeights writes weights.bin for loading at run time (mmap) instead of embedding it.
	ExternalWeights bool
	// Source names the model in the generated header.
	Source string
	// TestInputs and TestOutputs, when set, are recorded into testdata/ and checked by a
	// generated test (inputs by graph-input name, outputs in graph-output order).
	TestInputs  map[string]*ir.Tensor
	TestOutputs []*ir.Tensor
	// ATol and RTol are the generated test's absolute and relative tolerances (defaults 1e-4 and
	// 1e-3): |got - want| <= ATol + RTol·|want|.
	ATol, RTol float64
	// Precision is the generated package's default GEMM precision: "int8x6"
	// (default; AMX-INT8 tiles at float32-class accuracy where the CPU has
	// them, float32 kernels elsewhere), "bf16x6" (AMX-BF16 tiles, float32-class
	// accuracy value by value), "fp32" or "bf16x3"; WithPrecision overrides it
	// at New.
	Precision string
}

// Result describes what Generate wrote.
type Result struct {
	Files       []string
	WeightBytes int
	Steps       int
	Buffers     int
}

type storage int

const (
	stInput storage = iota
	stConst
	stBuffer
)

type valInfo struct {
	st    storage
	buf   int       // buffer index (stBuffer)
	alias *ir.Value // shares another value's storage (views)
	field string    // model field (stConst) or input field (stInput)
}

type gen struct {
	g            *ir.Graph
	opts         Options
	packedNames  []string          // *cpu.PackedB fields
	packedRanges [][2]int          // their blob byte ranges
	small        []smallConst      // small constants, placed at the end of the blob
	syms         []string          // symbol names in order
	symVar       map[string]string // symbol -> Go variable
	vals         map[*ir.Value]*valInfo
	bufs         []*ir.Value // buffer index -> value (or scratch pseudo-values)
	bufSize      []string    // size expression in bytes per buffer
	first        []int
	last         []int
	steps        []string // Go statements per step
	stepOf       int
	blob         *blobFile
	fields       []string // model struct fields
	loads        []string // statements in New
	users        map[*ir.Value][]*ir.Node
	outs         map[*ir.Value]bool
	fused        map[*ir.Node]bool
	nconst       int
	needErr      bool
}

// Generate writes the package for g (normally optimized at -O2) into dir.
func Generate(g *ir.Graph, dir string, opts Options) (res *Result, err error) {
	if opts.Package == "" {
		opts.Package = goPackageName(filepath.Base(dir))
	}
	switch opts.Precision {
	case "":
		opts.Precision = "int8x6"
	case "fp32", "int8x6", "bf16x6", "bf16x3":
	default:
		return nil, fmt.Errorf("codegen: unknown precision %q (want int8x6, bf16x6, fp32 or bf16x3)", opts.Precision)
	}
	if opts.RTol == 0 {
		opts.RTol = 1e-3
	}
	if opts.ATol == 0 {
		opts.ATol = 1e-4
	}
	c := &gen{g: g, opts: opts, symVar: map[string]string{}, vals: map[*ir.Value]*valInfo{},
		users: map[*ir.Value][]*ir.Node{}, outs: map[*ir.Value]bool{}, fused: map[*ir.Node]bool{}}
	if err := c.prepare(); err != nil {
		return nil, err
	}
	if _, statErr := os.Stat(dir); os.IsNotExist(statErr) {
		defer func() {
			if err != nil {
				os.Remove(dir) // the directory this call made (only if still empty)
			}
		}()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	blob, err := newBlobFile(filepath.Join(dir, "weights.bin.tmp"))
	if err != nil {
		return nil, err
	}
	defer blob.abort()
	c.blob = blob
	for _, n := range g.Nodes {
		if c.fused[n] {
			continue
		}
		if err := c.node(n); err != nil {
			return nil, err
		}
	}
	c.finish()
	c.placeSmallConsts()
	src, err := c.source()
	if err != nil {
		return nil, err
	}
	res = &Result{WeightBytes: c.blob.Len(), Steps: len(c.steps), Buffers: len(c.bufs)}
	write := func(name string, data []byte) error {
		res.Files = append(res.Files, name)
		return os.WriteFile(filepath.Join(dir, name), data, 0o644)
	}
	if err := write("model.go", src); err != nil {
		return nil, err
	}
	res.Files = append(res.Files, "weights.bin")
	if err := blob.commit(filepath.Join(dir, "weights.bin")); err != nil {
		return nil, err
	}
	if opts.TestInputs != nil {
		test, err := c.testSource(dir)
		if err != nil {
			return nil, err
		}
		if err := write("model_test.go", test); err != nil {
			return nil, err
		}
		header := fmt.Sprintf("// Code generated by llmc compile from %s; DO NOT EDIT.\n\n", opts.Source)
		if err := write("race_test.go", []byte(header+"//go:build race\n\npackage "+opts.Package+"\n\nconst raceEnabled = true\n")); err != nil {
			return nil, err
		}
		if err := write("norace_test.go", []byte(header+"//go:build !race\n\npackage "+opts.Package+"\n\nconst raceEnabled = false\n")); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// goPackageName turns a directory name into a package name.
func goPackageName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	name := b.String()
	if name == "" || unicode.IsDigit(rune(name[0])) {
		name = "model" + name
	}
	return name
}

// goName turns a value name into an exported Go identifier (input_ids → InputIds).
func goName(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	name := b.String()
	if name == "" || unicode.IsDigit(rune(name[0])) {
		name = "V" + name
	}
	return name
}

func (c *gen) prepare() error {
	for _, n := range c.g.Nodes {
		for _, in := range n.Inputs {
			if in != nil {
				c.users[in] = append(c.users[in], n)
			}
		}
		if len(n.Subgraphs()) > 0 {
			return fmt.Errorf("%s: llmc compile does not support control flow yet", n.Describe())
		}
	}
	for _, v := range c.g.Outputs {
		c.outs[v] = true
	}
	check := func(v *ir.Value) error {
		t := v.Type
		if t.Kind != ir.KindTensor || !t.Ranked {
			return fmt.Errorf("value %q has type %s: llmc compile needs ranked tensors (run the optimizer first)", v.Name, t)
		}
		for _, d := range t.Shape {
			if d.IsUnknown() {
				return fmt.Errorf("value %q has shape %s with an unknown dim: llmc compile needs static or symbolic shapes", v.Name, t.Shape)
			}
			if d.IsSymbolic() {
				if _, ok := c.symVar[d.Param]; !ok {
					c.symVar[d.Param] = goName(d.Param)
					c.syms = append(c.syms, d.Param)
				}
			}
		}
		return nil
	}
	usedNames := map[string]bool{}
	for _, v := range c.g.Inputs {
		if err := check(v); err != nil {
			return err
		}
		f := goName(v.Name)
		if usedNames[f] {
			return fmt.Errorf("inputs %q and another map to the same Go name %s", v.Name, f)
		}
		usedNames[f] = true
		c.vals[v] = &valInfo{st: stInput, field: f}
		switch v.Type.DType {
		case ir.Float32, ir.Int64, ir.Int32:
		default:
			return fmt.Errorf("input %q: element type %s is not supported by llmc compile (f32, i64, i32)", v.Name, v.Type.DType)
		}
	}
	for _, s := range c.syms {
		if usedNames[c.symVar[s]] {
			c.symVar[s] += "Dim"
		}
	}
	for _, n := range c.g.Nodes {
		for _, o := range n.Outputs {
			if o != nil {
				if err := check(o); err != nil {
					return err
				}
			}
		}
	}
	for _, v := range c.g.Outputs {
		if err := check(v); err != nil {
			return err
		}
		switch v.Type.DType {
		case ir.Float32, ir.Int64, ir.Int32:
		default:
			return fmt.Errorf("output %q: element type %s is not supported by llmc compile", v.Name, v.Type.DType)
		}
	}
	return nil
}

// dimExpr renders a dimension as a Go expression over the symbol variables.
func (c *gen) dimExpr(d ir.Dim) string {
	if d.IsConcrete() {
		return fmt.Sprint(d.Value)
	}
	return c.symVar[d.Param]
}

// prodExpr renders the product of dims [from, to).
func (c *gen) prodExpr(s ir.Shape, from, to int) string {
	var parts []string
	k := int64(1)
	for _, d := range s[from:to] {
		if d.IsConcrete() {
			k *= d.Value
		} else {
			parts = append(parts, c.symVar[d.Param])
		}
	}
	if k != 1 || len(parts) == 0 {
		parts = append(parts, fmt.Sprint(k))
	}
	return strings.Join(parts, "*")
}

func (c *gen) numel(v *ir.Value) string { return c.prodExpr(v.Type.Shape, 0, len(v.Type.Shape)) }

// rowsLast returns expressions for (rows, last dim) and the last dim's value when concrete.
func (c *gen) rowsLast(v *ir.Value) (string, string, int64) {
	s := v.Type.Shape
	if len(s) == 0 {
		return "1", "1", 1
	}
	last := s[len(s)-1]
	lv := int64(-1)
	if last.IsConcrete() {
		lv = last.Value
	}
	return c.prodExpr(s, 0, len(s)-1), c.dimExpr(last), lv
}

// constant returns v's data when it is a graph constant.
func constant(v *ir.Value) *ir.Tensor {
	if v == nil || v.Const == nil {
		return nil
	}
	return v.Const.Aligned()
}

// addBlob appends data to the weights blob (64-byte aligned) and returns its offset.
func (c *gen) addBlob(raw []byte) int {
	c.blob.Align()
	off := c.blob.Len()
	c.blob.Write(raw)
	return off
}

// smallConstBytes bounds the constants (biases, normalization parameters)
// that go to the end of the weights blob, together, instead of where they are
// first used: the kernel maps file pages in large folios (2 MiB seen here),
// so reading a small constant stored between two packed weights made up to
// 2 MiB of the float32 panels around it resident again after a compiled
// package had given them back (bert-base at bf16x6: 81 MiB).
const smallConstBytes = 256 << 10

type smallConst struct {
	load int    // index in gen.loads of the line whose offset is filled in
	raw  []byte // the data
}

// placeSmallConsts writes the small constants at the end of the blob and puts
// their offsets into their load lines (written with offset -1).
func (c *gen) placeSmallConsts() {
	for _, sc := range c.small {
		off := c.addBlob(sc.raw)
		c.loads[sc.load] = strings.Replace(c.loads[sc.load], "(-1, ", fmt.Sprintf("(%d, ", off), 1)
	}
	c.small = nil
}

// constF32 makes (once) a model field holding a float32 constant and returns its name.
func (c *gen) constRef(v *ir.Value) (string, error) {
	if info := c.vals[v]; info != nil && info.st == stConst {
		return info.field, nil
	}
	t := constant(v)
	if t == nil {
		return "", fmt.Errorf("value %q is not a constant", v.Name)
	}
	name := fmt.Sprintf("c%d", c.nconst)
	c.nconst++
	off := -1 // small constants: placed after the large ones (placeSmallConsts)
	if len(t.Raw) > smallConstBytes {
		off = c.addBlob(t.Raw)
	} else {
		c.small = append(c.small, smallConst{load: len(c.loads), raw: t.Raw})
	}
	switch t.DType {
	case ir.Float32:
		c.fields = append(c.fields, fmt.Sprintf("%s []float32 // %s %s", name, v.Name, t.Type()))
		c.loads = append(c.loads, fmt.Sprintf("m.%s = blob.F32(%d, %d)", name, off, t.Len()))
	case ir.Int64:
		c.fields = append(c.fields, fmt.Sprintf("%s []int64 // %s %s", name, v.Name, t.Type()))
		c.loads = append(c.loads, fmt.Sprintf("m.%s = blob.I64(%d, %d)", name, off, t.Len()))
	case ir.Int32:
		c.fields = append(c.fields, fmt.Sprintf("%s []int32 // %s %s", name, v.Name, t.Type()))
		c.loads = append(c.loads, fmt.Sprintf("m.%s = blob.I32(%d, %d)", name, off, t.Len()))
	default:
		c.fields = append(c.fields, fmt.Sprintf("%s []byte // %s %s", name, v.Name, t.Type()))
		c.loads = append(c.loads, fmt.Sprintf("m.%s = blob.Bytes(%d, %d)", name, off, len(t.Raw)))
	}
	c.vals[v] = &valInfo{st: stConst, field: name}
	return name, nil
}

// packed makes a model field holding the pre-packed form of a constant [K, N] weight.
func (c *gen) packed(v *ir.Value, transB bool) (string, int, int) {
	t := constant(v)
	k, n := int(t.Shape[0]), int(t.Shape[1])
	ld := n
	if transB {
		k, n = n, k
	}
	pb := cpu.PackB(nil, transB, k, n, t.Float32s(), ld)
	data := pb.Data()
	c.blob.Align()
	off := c.blob.Len()
	c.blob.WriteF32s(data)
	name := fmt.Sprintf("p%d", c.nconst)
	c.nconst++
	c.fields = append(c.fields, fmt.Sprintf("%s *cpu.PackedB // %s packed, op(B) %dx%d", name, v.Name, k, n))
	c.packedNames = append(c.packedNames, name)
	c.packedRanges = append(c.packedRanges, [2]int{off, 4 * len(data)})
	c.loads = append(c.loads, fmt.Sprintf("if m.%s, err = cpu.PackedBFromData(%d, %d, blob.F32(%d, %d)); err != nil {\nreturn nil, err\n}", name, k, n, off, len(data)))
	return name, k, n
}

// ref returns the Go expression for a value's data as a typed slice.
func (c *gen) ref(v *ir.Value) (string, error) {
	info := c.vals[v]
	for info != nil && info.alias != nil {
		v = info.alias
		info = c.vals[v]
	}
	if info == nil {
		if v.Const != nil {
			f, err := c.constRef(v)
			return "m." + f, err
		}
		return "", fmt.Errorf("value %q is used before it is computed", v.Name)
	}
	switch info.st {
	case stInput:
		return "in." + info.field, nil
	case stConst:
		return "m." + info.field, nil
	}
	return fmt.Sprintf("b%d", info.buf), nil
}

// bufType is the Go slice type for a dtype in the arena.
func viewFunc(dt ir.DType) (string, error) {
	switch dt {
	case ir.Float32:
		return "rt.F32", nil
	case ir.Int64:
		return "rt.I64", nil
	case ir.Int32:
		return "rt.I32", nil
	}
	return "", fmt.Errorf("element type %s is not supported in compiled code", dt)
}

// def declares the arena buffer for v (written by the current step).
func (c *gen) def(v *ir.Value) (string, error) {
	vf, err := viewFunc(v.Type.DType)
	if err != nil {
		return "", fmt.Errorf("value %q: %v", v.Name, err)
	}
	i := len(c.bufs)
	c.bufs = append(c.bufs, v)
	c.bufSize = append(c.bufSize, fmt.Sprintf("%d*%s", v.Type.DType.Size(), c.numel(v)))
	c.first = append(c.first, len(c.steps))
	c.last = append(c.last, len(c.steps))
	c.vals[v] = &valInfo{st: stBuffer, buf: i}
	return fmt.Sprintf("b%d := %s(ar, lay.off[%d], %s)\n", i, vf, i, c.numel(v)), nil
}

// scratch declares a float32 scratch buffer of n elements (an expression) for this step.
func (c *gen) scratch(n string) string {
	i := len(c.bufs)
	c.bufs = append(c.bufs, nil)
	c.bufSize = append(c.bufSize, fmt.Sprintf("4*(%s)", n))
	c.first = append(c.first, len(c.steps))
	c.last = append(c.last, len(c.steps))
	return fmt.Sprintf("b%d := rt.F32(ar, lay.off[%d], %s)\n", i, i, n)
}

// use records that the current step reads v (extending its buffer's life).
func (c *gen) use(vs ...*ir.Value) {
	for _, v := range vs {
		if v == nil {
			continue
		}
		for info := c.vals[v]; info != nil; info = c.vals[v] {
			if info.alias == nil {
				if info.st == stBuffer {
					c.last[info.buf] = max(c.last[info.buf], len(c.steps))
				}
				break
			}
			v = info.alias
		}
	}
}

func (c *gen) emit(comment, code string) {
	c.steps = append(c.steps, fmt.Sprintf("// %s\n%s", comment, code))
}

func (c *gen) onlyUser(y *ir.Value) *ir.Node {
	if c.outs[y] || len(c.users[y]) != 1 {
		return nil
	}
	return c.users[y][0]
}

func isF32(vs ...*ir.Value) bool {
	for _, v := range vs {
		if v == nil || v.Type.DType != ir.Float32 {
			return false
		}
	}
	return true
}

func (c *gen) vector(v *ir.Value, n int64) (string, bool) {
	t := constant(v)
	if t == nil || t.DType != ir.Float32 || int64(t.Len()) != n {
		return "", false
	}
	f, err := c.constRef(v)
	return "m." + f, err == nil
}

func (c *gen) node(n *ir.Node) error {
	comment := fmt.Sprintf("%s %s", n.QualifiedOp(), n.Name)
	var code string
	var err error
	var ok bool
	switch {
	case n.Domain == "" && n.Op == "MatMul":
		code, ok, err = c.matmul(n)
	case n.Domain == "" && n.Op == "Gemm", n.Domain == ir.MSDomain && n.Op == "FusedGemm":
		code, ok, err = c.gemm(n)
	case n.Domain == "com.microsoft" && n.Op == "Attention":
		code, ok, err = c.attention(n)
	case n.Domain == "com.microsoft" && n.Op == "SkipLayerNormalization":
		code, ok, err = c.skipLayerNorm(n)
	case n.Domain == "" && n.Op == "LayerNormalization":
		code, ok, err = c.layerNorm(n)
	case n.Domain == "com.microsoft" && n.Op == "EmbedLayerNormalization":
		code, ok, err = c.embed(n)
	case n.Domain == "com.microsoft" && (n.Op == "BiasGelu" || n.Op == "FastGelu" || n.Op == "Gelu"):
		code, ok, err = c.gelu(n)
	case n.Domain == "" && (n.Op == "Tanh" || n.Op == "Erf" || n.Op == "Exp"):
		code, ok, err = c.unary(n)
	case n.Domain == "" && (n.Op == "Add" || n.Op == "Sub" || n.Op == "Mul" || n.Op == "Div"):
		code, ok, err = c.binary(n)
	case n.Domain == "" && n.Op == "Softmax":
		code, ok, err = c.softmax(n)
	case n.Domain == "" && n.Op == "Cast":
		code, ok, err = c.cast(n)
	case n.Domain == "" && n.Op == "Gather":
		code, ok, err = c.gather(n)
	case n.Domain == "" && (n.Op == "Reshape" || n.Op == "Squeeze" || n.Op == "Unsqueeze" || n.Op == "Flatten" || n.Op == "Identity"):
		return c.view(n)
	case n.Domain == ir.LLMCDomain:
		code, ok, err = c.llmcMatMul(n)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", n.Describe(), err)
	}
	if !ok {
		return fmt.Errorf("%s: llmc compile has no kernel for this op with these types yet (it runs under `llmc run`; please report it)", n.Describe())
	}
	c.emit(comment, code)
	return nil
}

func (c *gen) view(n *ir.Node) error {
	x, y := n.Inputs[0], n.Outputs[0]
	if x.Type.DType != y.Type.DType {
		return fmt.Errorf("%s: view changes the element type", n.Describe())
	}
	if x.Const != nil {
		if _, err := c.constRef(x); err != nil {
			return err
		}
	}
	c.vals[y] = &valInfo{alias: x}
	return nil
}

// io resolves a one-input, one-output step: the input's expression (recording the read), the
// output buffer's declaration and its expression.
func (c *gen) io(x, y *ir.Value) (xr, decl, yr string, err error) {
	if xr, err = c.ref(x); err != nil {
		return "", "", "", err
	}
	c.use(x)
	if decl, err = c.def(y); err != nil {
		return "", "", "", err
	}
	yr, err = c.ref(y)
	return xr, decl, yr, err
}

// epilogue looks for a consumer a GEMM epilogue absorbs (as the execution planner does).
func (c *gen) epilogue(y *ir.Value, nOut int64) (*ir.Node, string, error) {
	cons := c.onlyUser(y)
	if cons == nil {
		return nil, "", nil
	}
	vec := func(v *ir.Value) (string, bool) { return c.vector(v, nOut) }
	switch {
	case cons.Domain == "com.microsoft" && cons.Op == "BiasGelu" && cons.Inputs[0] == y:
		if b, ok := vec(cons.Inputs[1]); ok {
			return cons, fmt.Sprintf("&cpu.Epilogue{Bias: %s, Act: cpu.ActGELU}", b), nil
		}
	case cons.Domain == "com.microsoft" && cons.Op == "Gelu" && cons.Inputs[0] == y:
		return cons, "&cpu.Epilogue{Act: cpu.ActGELU}", nil
	case cons.Domain == "com.microsoft" && cons.Op == "FastGelu" && cons.Inputs[0] == y:
		if cons.Input(1) == nil {
			return cons, "&cpu.Epilogue{Act: cpu.ActGELUTanh}", nil
		}
		if b, ok := vec(cons.Inputs[1]); ok {
			return cons, fmt.Sprintf("&cpu.Epilogue{Bias: %s, Act: cpu.ActGELUTanh}", b), nil
		}
	case cons.Domain == "" && cons.Op == "Add":
		other := cons.Inputs[1]
		if other == y {
			other = cons.Inputs[0]
		}
		if b, ok := vec(other); ok && other != y {
			return cons, fmt.Sprintf("&cpu.Epilogue{Bias: %s}", b), nil
		}
	}
	return nil, "", nil
}

// epField stores an epilogue in a model field (built once in New) and returns its name.
func (c *gen) epField(expr string) string {
	name := fmt.Sprintf("ep%d", c.nconst)
	c.nconst++
	c.fields = append(c.fields, fmt.Sprintf("%s *cpu.Epilogue", name))
	c.loads = append(c.loads, fmt.Sprintf("m.%s = %s", name, strings.ReplaceAll(expr, "m.", "m.")))
	return "m." + name
}

// packedOperands checks that n (MatMul or an llmc MatMul op) multiplies a float32 A of rank >= 2
// by a constant float32 [K, N] weight, and returns the packed weight's field, K and N.
func (c *gen) packedOperands(n *ir.Node) (pb string, k int64, nn int, ok bool) {
	a, w, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	wt := constant(w)
	if !isF32(a, w, y) || wt == nil || len(wt.Shape) != 2 || len(a.Type.Shape) < 2 {
		return "", 0, 0, false
	}
	k = wt.Shape[0]
	if last := a.Type.Shape[len(a.Type.Shape)-1]; !last.IsConcrete() || last.Value != k {
		return "", 0, 0, false
	}
	pb, _, nn = c.packed(w, false)
	return pb, k, nn, true
}

func (c *gen) matmul(n *ir.Node) (string, bool, error) {
	a, y := n.Inputs[0], n.Outputs[0]
	pb, k, nn, ok := c.packedOperands(n)
	if !ok {
		return "", false, nil
	}
	out := y
	ep := "nil"
	cons, epExpr, err := c.epilogue(y, int64(nn))
	if err != nil {
		return "", false, err
	}
	if cons != nil {
		c.fused[cons] = true
		out = cons.Outputs[0]
		ep = c.epField(epExpr)
	}
	code, _, err := c.sgemmPacked(a, out, pb, k, nn, ep)
	return code, err == nil, err
}

// sgemmPacked emits out = a·B (+ epilogue ep, a model field or "nil") for a pre-packed B of
// k x nn, and returns the code and out's buffer expression.
func (c *gen) sgemmPacked(a, out *ir.Value, pb string, k int64, nn int, ep string) (code, yr string, err error) {
	ar, err := c.ref(a)
	if err != nil {
		return "", "", err
	}
	c.use(a)
	decl, err := c.def(out)
	if err != nil {
		return "", "", err
	}
	yr, _ = c.ref(out)
	rows := c.prodExpr(a.Type.Shape, 0, len(a.Type.Shape)-1)
	return decl + fmt.Sprintf("cpu.SgemmPacked(m.pool, false, %s, 1, %s, %d, m.%s, 0, %s, %d, %s)\n", rows, ar, k, pb, yr, nn, ep), yr, nil
}

// llmcMatMul emits llmc's MatMul-into-consumer ops (as the execution planner runs them): the
// pre-packed GEMM with the consumer's bias (and GELU) as epilogue; for
// MatMulSkipLayerNormalization the residual add and row normalization in place on its output.
func (c *gen) llmcMatMul(n *ir.Node) (string, bool, error) {
	a, y := n.Inputs[0], n.Outputs[0]
	pb, k, nn, ok := c.packedOperands(n)
	if !ok {
		return "", false, nil
	}
	var skip *ir.Value
	var gamma, beta, epExpr string
	switch n.Op {
	case "MatMulBias", "MatMulBiasGelu", "MatMulFastGelu":
		bias, ok := c.vector(n.Inputs[2], int64(nn))
		if !ok {
			return "", false, nil
		}
		switch n.Op {
		case "MatMulBias":
			epExpr = fmt.Sprintf("&cpu.Epilogue{Bias: %s}", bias)
		case "MatMulBiasGelu":
			epExpr = fmt.Sprintf("&cpu.Epilogue{Bias: %s, Act: cpu.ActGELU}", bias)
		default:
			epExpr = fmt.Sprintf("&cpu.Epilogue{Bias: %s, Act: cpu.ActGELUTanh}", bias)
		}
	case "MatMulSkipLayerNormalization", "MatMulSkipLayerNormalizationSum":
		skip = n.Inputs[2]
		if !isF32(skip) || c.numel(skip) != c.numel(y) {
			return "", false, nil
		}
		var ok bool
		if gamma, beta, ok = c.gammaBeta(n, n.Inputs[3], n.Inputs[4], int64(nn)); !ok {
			return "", false, nil
		}
		bias, ok := c.vector(n.Inputs[5], int64(nn))
		if !ok {
			return "", false, nil
		}
		epExpr = fmt.Sprintf("&cpu.Epilogue{Bias: %s}", bias)
	default:
		return "", false, nil
	}
	var sr string
	if skip != nil {
		var err error
		if sr, err = c.ref(skip); err != nil {
			return "", false, err
		}
		c.use(skip)
	}
	rows := c.prodExpr(a.Type.Shape, 0, len(a.Type.Shape)-1)
	if sumOut := n.Output(1); sumOut != nil {
		// pre-LN: the GEMM (with bias) writes the residual sum, the skip is added in place and
		// the normalized copy goes to y
		code, sumr, err := c.sgemmPacked(a, sumOut, pb, k, nn, c.epField(epExpr))
		if err != nil {
			return "", false, err
		}
		decl, err := c.def(y)
		if err != nil {
			return "", false, err
		}
		yr, _ := c.ref(y)
		code += decl + fmt.Sprintf("cpu.Add(%s, %s, %s)\ncpu.LayerNorm(m.pool, %s, %s, %s, %d, %s, %s, %s)\n", sumr, sumr, sr, yr, sumr, rows, nn, gamma, beta, f32lit(n.AttrFloat("epsilon", 1e-12)))
		return code, true, nil
	}
	code, yr, err := c.sgemmPacked(a, y, pb, k, nn, c.epField(epExpr))
	if err != nil || skip == nil {
		return code, err == nil, err
	}
	code += fmt.Sprintf("cpu.SkipLayerNorm(m.pool, %s, %s, %s, nil, %s, %d, %s, %s, %s)\n", yr, yr, sr, rows, nn, gamma, beta, f32lit(n.AttrFloat("epsilon", 1e-12)))
	return code, true, nil
}

// gemm emits Gemm, and com.microsoft FusedGemm with a Tanh or Relu activation.
func (c *gen) gemm(n *ir.Node) (string, bool, error) {
	a, w, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if !isF32(a, w, y) || constant(w) == nil || len(a.Type.Shape) != 2 {
		return "", false, nil
	}
	post := ""
	switch act := n.AttrString("activation", ""); {
	case n.Domain == "" || act == "":
	case act == "Tanh", act == "Relu":
		post = "cpu." + act
	default:
		return "", false, nil
	}
	transA, transB := n.AttrInt("transA", 0) != 0, n.AttrInt("transB", 0) != 0
	alpha, beta := n.AttrFloat("alpha", 1), n.AttrFloat("beta", 1)
	pb, _, nn := c.packed(w, transB)
	ep := "nil"
	if cv := n.Input(2); cv != nil {
		ct := constant(cv)
		if ct == nil || ct.DType != ir.Float32 || (ct.Len() != nn && ct.Len() != 1) {
			return "", false, nil
		}
		bias := make([]float32, nn)
		src := ct.Float32s()
		for j := range bias {
			bias[j] = beta * src[j%len(src)]
		}
		bv := &ir.Value{Name: cv.Name + "_scaled", Const: ir.FromFloat32s([]int64{int64(nn)}, bias)}
		f, err := c.constRef(bv)
		if err != nil {
			return "", false, err
		}
		ep = c.epField(fmt.Sprintf("&cpu.Epilogue{Bias: m.%s}", f))
	}
	ar, err := c.ref(a)
	if err != nil {
		return "", false, err
	}
	c.use(a)
	decl, err := c.def(y)
	if err != nil {
		return "", false, err
	}
	yr, _ := c.ref(y)
	m, lda := c.dimExpr(a.Type.Shape[0]), c.dimExpr(a.Type.Shape[1])
	if transA {
		m = c.dimExpr(a.Type.Shape[1])
	}
	code := decl + fmt.Sprintf("cpu.SgemmPacked(m.pool, %t, %s, %s, %s, %s, m.%s, 0, %s, %d, %s)\n", transA, m, f32lit(alpha), ar, lda, pb, yr, nn, ep)
	if post != "" {
		code += fmt.Sprintf("%s(%s, %s)\n", post, yr, yr)
	}
	return code, true, nil
}

func f32lit(f float32) string {
	if f == float32(math.Trunc(float64(f))) && math.Abs(float64(f)) < 1e15 {
		return fmt.Sprintf("%g", f)
	}
	return fmt.Sprintf("math.Float32frombits(0x%08x) /* %g */", math.Float32bits(f), f)
}

func (c *gen) attention(n *ir.Node) (string, bool, error) {
	x, w, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	bias, mask := n.Input(2), n.Input(3)
	wt := constant(w)
	if len(n.Inputs) > 4 || n.Output(1) != nil || !isF32(x, w, y) || n.AttrInt("unidirectional", 0) != 0 || n.Attr("qkv_hidden_sizes") != nil ||
		wt == nil || len(wt.Shape) != 2 || wt.Shape[1]%3 != 0 || len(x.Type.Shape) != 3 || !x.Type.Shape[2].IsConcrete() {
		return "", false, nil
	}
	oneD := false // ONNX Runtime's optimizer's mask_index: [B] end (and start) positions
	if mask != nil {
		switch sh := mask.Type.Shape; {
		case mask.Type.DType != ir.Int32:
			return "", false, nil
		case len(sh) == 2:
		case len(sh) == 1:
			oneD = true
		default:
			return "", false, nil
		}
	}
	hid := wt.Shape[1] / 3
	heads := n.AttrInt("num_heads", 1)
	if heads <= 0 || hid%heads != 0 {
		return "", false, nil
	}
	in := x.Type.Shape[2].Value
	bv := "nil"
	if bias != nil {
		b, ok := c.vector(bias, 3*hid)
		if !ok {
			return "", false, nil
		}
		bv = c.epField(fmt.Sprintf("&cpu.Epilogue{Bias: %s}", b))
	}
	mv := "nil"
	if mask != nil {
		r, err := c.ref(mask)
		if err != nil {
			return "", false, err
		}
		mv = r
	}
	scale := float32(1 / math.Sqrt(float64(hid/heads)))
	if a := n.Attr("scale"); a != nil {
		scale = a.F
	}
	filter := n.AttrFloat("mask_filter_value", -10000)
	pb, _, _ := c.packed(w, false)
	xr, err := c.ref(x)
	if err != nil {
		return "", false, err
	}
	c.use(x, mask)
	B, S := c.dimExpr(x.Type.Shape[0]), c.dimExpr(x.Type.Shape[1])
	scr := c.scratch(fmt.Sprintf("cpu.AttentionScratch(%s, %s, %d, %d)", B, S, hid, heads))
	si := len(c.bufs) - 1
	if oneD {
		km := &ir.Value{Name: n.Name + "_key_mask", Type: ir.TensorType(ir.Int32, ir.Shape{x.Type.Shape[0], x.Type.Shape[1]})}
		kdecl, err := c.def(km)
		if err != nil {
			return "", false, err
		}
		kr, _ := c.ref(km)
		scr += kdecl + fmt.Sprintf("cpu.KeyMaskFromIndex(%s, %s, %s, %s)\n", kr, mv, B, S)
		mv = kr
	}
	decl, err := c.def(y)
	if err != nil {
		return "", false, err
	}
	yr, _ := c.ref(y)
	return scr + decl + fmt.Sprintf("cpu.Attention(m.pool, %s, %s, %s, %s, %d, %d, %d, m.%s, %s, %s, %s, %s, b%d)\n",
		yr, xr, B, S, in, hid, heads, pb, bv, mv, f32lit(scale), f32lit(filter), si), true, nil
}

func (c *gen) skipLayerNorm(n *ir.Node) (string, bool, error) {
	x, skip, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	used := func(o *ir.Value) bool { return o != nil && (len(c.users[o]) > 0 || c.outs[o]) }
	if used(n.Output(1)) || used(n.Output(2)) {
		return "", false, nil // mean and inv_std_var (training)
	}
	sumOut := n.Output(3) // input_skip_bias_sum: pre-LN residuals
	if !used(sumOut) {
		sumOut = nil
	}
	if !isF32(x, skip, y) || c.numel(x) != c.numel(skip) || sumOut != nil && !isF32(sumOut) {
		return "", false, nil
	}
	rows, h, hv := c.rowsLast(x)
	gamma, beta, ok := c.gammaBeta(n, n.Inputs[2], n.Input(3), hv)
	if !ok {
		return "", false, nil
	}
	bias := "nil"
	if bv := n.Input(4); bv != nil {
		if bias, ok = c.vector(bv, hv); !ok {
			return "", false, nil
		}
	}
	xr, err := c.ref(x)
	if err != nil {
		return "", false, err
	}
	sr, err := c.ref(skip)
	if err != nil {
		return "", false, err
	}
	c.use(x, skip)
	decl, err := c.def(y)
	if err != nil {
		return "", false, err
	}
	yr, _ := c.ref(y)
	eps := f32lit(n.AttrFloat("epsilon", 1e-12))
	if sumOut != nil {
		sdecl, err := c.def(sumOut)
		if err != nil {
			return "", false, err
		}
		sumr, _ := c.ref(sumOut)
		code := decl + sdecl + fmt.Sprintf("cpu.Add(%s, %s, %s)\n", sumr, xr, sr)
		if bias != "nil" {
			code += fmt.Sprintf("cpu.RowBroadcast(cpu.OpAdd, %s, %s, %s, %s, %s)\n", sumr, sumr, rows, h, bias)
		}
		return code + fmt.Sprintf("cpu.LayerNorm(m.pool, %s, %s, %s, %s, %s, %s, %s)\n", yr, sumr, rows, h, gamma, beta, eps), true, nil
	}
	return decl + fmt.Sprintf("cpu.SkipLayerNorm(m.pool, %s, %s, %s, %s, %s, %s, %s, %s, %s)\n", yr, xr, sr, bias, rows, h, gamma, beta, eps), true, nil
}

// gammaBeta resolves a normalization's constant scale and (optional, else zero) shift vectors
// of length h.
func (c *gen) gammaBeta(n *ir.Node, gv, bv *ir.Value, h int64) (gamma, beta string, ok bool) {
	if gamma, ok = c.vector(gv, h); !ok {
		return "", "", false
	}
	if bv != nil {
		beta, ok = c.vector(bv, h)
		return gamma, beta, ok
	}
	f, err := c.constRef(&ir.Value{Name: n.Name + "_zero_beta", Const: ir.MustTensor(ir.Float32, h)})
	return gamma, "m." + f, err == nil
}

func (c *gen) layerNorm(n *ir.Node) (string, bool, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	r := len(x.Type.Shape)
	if !isF32(x, y) || len(n.Outputs) > 1 && n.Outputs[1] != nil || len(n.Outputs) > 2 && n.Outputs[2] != nil {
		return "", false, nil
	}
	if ax := n.AttrInt("axis", -1); ax != -1 && ax != int64(r-1) {
		return "", false, nil
	}
	rows, h, hv := c.rowsLast(x)
	gamma, beta, ok := c.gammaBeta(n, n.Inputs[1], n.Input(2), hv)
	if !ok {
		return "", false, nil
	}
	xr, decl, yr, err := c.io(x, y)
	if err != nil {
		return "", false, err
	}
	return decl + fmt.Sprintf("cpu.LayerNorm(m.pool, %s, %s, %s, %s, %s, %s, %s)\n", yr, xr, rows, h, gamma, beta, f32lit(n.AttrFloat("epsilon", 1e-5))), true, nil
}

func (c *gen) embed(n *ir.Node) (string, bool, error) {
	if n.Input(8) != nil { // explicit position ids
		return "", false, nil
	}
	mask := n.Input(7) // ONNX Runtime's optimizer feeds the mask here for mask_index
	if mask != nil && mask.Type.DType != ir.Int32 {
		return "", false, nil
	}
	maskOut := n.Output(1)
	if maskOut != nil && len(c.users[maskOut]) == 0 && !c.outs[maskOut] {
		maskOut = nil
	}
	if maskOut != nil && maskOut.Type.DType != ir.Int32 {
		return "", false, nil
	}
	ids, seg, y := n.Inputs[0], n.Input(1), n.Outputs[0]
	word, pos := constant(n.Inputs[2]), constant(n.Inputs[3])
	if word == nil || pos == nil || !isF32(y) || ids.Type.DType != ir.Int32 || len(ids.Type.Shape) != 2 || (seg != nil && seg.Type.DType != ir.Int32) {
		return "", false, nil
	}
	h := word.Shape[1]
	wr, _ := c.constRef(n.Inputs[2])
	pr, _ := c.constRef(n.Inputs[3])
	sr, sir := "nil", "nil"
	if seg != nil {
		if constant(n.Input(4)) == nil {
			return "", false, nil
		}
		f, _ := c.constRef(n.Inputs[4])
		sr = "m." + f
		r, err := c.ref(seg)
		if err != nil {
			return "", false, err
		}
		sir = r
	}
	gamma, ok1 := c.vector(n.Inputs[5], h)
	beta, ok2 := c.vector(n.Inputs[6], h)
	if !ok1 || !ok2 {
		return "", false, nil
	}
	ir_, err := c.ref(ids)
	if err != nil {
		return "", false, err
	}
	c.use(ids, seg)
	decl, err := c.def(y)
	if err != nil {
		return "", false, err
	}
	yr, _ := c.ref(y)
	c.needErr = true
	B, S := c.dimExpr(ids.Type.Shape[0]), c.dimExpr(ids.Type.Shape[1])
	eps := f32lit(n.AttrFloat("epsilon", 1e-12))
	if maskOut != nil {
		// mask_index[b]: the number of ones in mask[b] (zeros without a mask)
		mdecl, err := c.def(maskOut)
		if err != nil {
			return "", false, err
		}
		mir, _ := c.ref(maskOut)
		decl += mdecl + fmt.Sprintf("clear(%s)\n", mir)
		if mask != nil {
			mr, err := c.ref(mask)
			if err != nil {
				return "", false, err
			}
			c.use(mask)
			decl += fmt.Sprintf("for r, v := range %s[:(%s)*(%s)] {\nif v == 1 {\n%s[r/(%s)]++\n}\n}\n", mr, B, S, mir, S)
		}
	}
	if so := n.Output(2); so != nil && (len(c.users[so]) > 0 || c.outs[so]) {
		// pre-LN: embedding_sum feeds the first residual
		sdecl, err := c.def(so)
		if err != nil {
			return "", false, err
		}
		sumr, _ := c.ref(so)
		return decl + sdecl + fmt.Sprintf("if err := cpu.EmbedSum(%s, %s, %s, %s, %s, %d, m.%s, m.%s, %s); err != nil {\nreturn Outputs{}, err\n}\ncpu.LayerNorm(m.pool, %s, %s, (%s)*(%s), %d, %s, %s, %s)\n",
			sumr, ir_, sir, B, S, h, wr, pr, sr, yr, sumr, B, S, h, gamma, beta, eps), true, nil
	}
	return decl + fmt.Sprintf("if err := cpu.EmbedLayerNorm(m.pool, %s, %s, %s, %s, %s, %d, m.%s, m.%s, %s, %s, %s, %s); err != nil {\nreturn Outputs{}, err\n}\n",
		yr, ir_, sir, B, S, h, wr, pr, sr, gamma, beta, eps), true, nil
}

func (c *gen) gelu(n *ir.Node) (string, bool, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	if !isF32(x, y) {
		return "", false, nil
	}
	rows, h, hv := c.rowsLast(x)
	xr, decl, yr, err := c.io(x, y)
	if err != nil {
		return "", false, err
	}
	code := decl
	src := xr
	if bv := n.Input(1); bv != nil {
		b, ok := c.vector(bv, hv)
		if !ok {
			return "", false, nil
		}
		code += fmt.Sprintf("cpu.RowBroadcast(cpu.OpAdd, %s, %s, %s, %s, %s)\n", yr, xr, rows, h, b)
		src = yr
	}
	fn := "cpu.Gelu"
	if n.Op == "FastGelu" {
		fn = "cpu.GeluTanh"
	}
	return code + fmt.Sprintf("%s(%s, %s)\n", fn, yr, src), true, nil
}

func (c *gen) unary(n *ir.Node) (string, bool, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	if !isF32(x, y) {
		return "", false, nil
	}
	xr, decl, yr, err := c.io(x, y)
	if err != nil {
		return "", false, err
	}
	return decl + fmt.Sprintf("cpu.%s(%s, %s)\n", n.Op, yr, xr), true, nil
}

func sameShape(a, b ir.Shape) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (c *gen) binary(n *ir.Node) (string, bool, error) {
	a, b, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	if !isF32(a, b, y) || n.Attr("broadcast") != nil {
		return "", false, nil
	}
	commutative := n.Op == "Add" || n.Op == "Mul"
	isScalar := func(v *ir.Value) bool { return c.numel(v) == "1" }
	ar, err := c.ref(a)
	if err != nil {
		return "", false, err
	}
	br, err := c.ref(b)
	if err != nil {
		return "", false, err
	}
	var call string
	switch {
	case sameShape(a.Type.Shape, y.Type.Shape) && sameShape(b.Type.Shape, y.Type.Shape):
		call = fmt.Sprintf("cpu.%s(%%s, %s, %s)\n", n.Op, ar, br)
	case sameShape(a.Type.Shape, y.Type.Shape) && isScalar(b):
		call = fmt.Sprintf("cpu.%sScalar(%%s, %s, %s[0])\n", n.Op, ar, br)
	case commutative && sameShape(b.Type.Shape, y.Type.Shape) && isScalar(a):
		call = fmt.Sprintf("cpu.%sScalar(%%s, %s, %s[0])\n", n.Op, br, ar)
	default:
		big, small, bigr, smallr := a, b, ar, br
		if commutative && sameShape(b.Type.Shape, y.Type.Shape) && !sameShape(a.Type.Shape, y.Type.Shape) {
			big, small, bigr, smallr = b, a, br, ar
		}
		if !sameShape(big.Type.Shape, y.Type.Shape) || len(small.Type.Shape) == 0 {
			return "", false, nil
		}
		ss := small.Type.Shape
		for i := 0; i < len(ss)-1; i++ {
			if !ss[i].IsConcrete() || ss[i].Value != 1 {
				return "", false, nil
			}
		}
		if ss[len(ss)-1] != big.Type.Shape[len(big.Type.Shape)-1] {
			return "", false, nil
		}
		rows, h, _ := c.rowsLast(big)
		call = fmt.Sprintf("cpu.RowBroadcast(cpu.Op%s, %%s, %s, %s, %s, %s)\n", n.Op, bigr, rows, h, smallr)
	}
	c.use(a, b)
	decl, err := c.def(y)
	if err != nil {
		return "", false, err
	}
	yr, _ := c.ref(y)
	return decl + fmt.Sprintf(call, yr), true, nil
}

func (c *gen) softmax(n *ir.Node) (string, bool, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	r := len(x.Type.Shape)
	ax := n.AttrInt("axis", -1)
	if n.Attr("axis") == nil && c.g.OpsetVersion("") < 13 {
		ax = 1
	}
	if !isF32(x, y) || (ax != -1 && ax != int64(r-1)) {
		return "", false, nil
	}
	rows, h, _ := c.rowsLast(x)
	xr, decl, yr, err := c.io(x, y)
	if err != nil {
		return "", false, err
	}
	return decl + fmt.Sprintf("cpu.Softmax(m.pool, %s, %s, %s, %s, nil)\n", yr, xr, rows, h), true, nil
}

func (c *gen) cast(n *ir.Node) (string, bool, error) {
	x, y := n.Inputs[0], n.Outputs[0]
	fns := map[[2]ir.DType]string{
		{ir.Int64, ir.Int32}: "rt.CastI64I32", {ir.Int32, ir.Int64}: "rt.CastI32I64", {ir.Int64, ir.Float32}: "rt.CastI64F32",
	}
	fn, ok := fns[[2]ir.DType{x.Type.DType, y.Type.DType}]
	if !ok {
		if x.Type.DType == y.Type.DType {
			return "", false, c.view(n)
		}
		return "", false, nil
	}
	xr, decl, yr, err := c.io(x, y)
	if err != nil {
		return "", false, err
	}
	return decl + fmt.Sprintf("%s(%s, %s)\n", fn, yr, xr), true, nil
}

func (c *gen) gather(n *ir.Node) (string, bool, error) {
	data, idx, y := n.Inputs[0], n.Inputs[1], n.Outputs[0]
	axis := n.AttrInt("axis", 0)
	r := len(data.Type.Shape)
	if axis < 0 {
		axis += int64(r)
	}
	if axis < 0 || axis >= int64(r) {
		return "", false, nil
	}
	it := constant(idx)
	if it == nil || it.DType != ir.Int64 {
		return "", false, nil // runtime indices: not needed by the BERT graphs yet
	}
	dr, err := c.ref(data)
	if err != nil {
		return "", false, err
	}
	ir_, err := c.constRef(idx)
	if err != nil {
		return "", false, err
	}
	toBytes := map[ir.DType]string{ir.Float32: "rt.Bytes32", ir.Int64: "rt.Bytes64", ir.Int32: "rt.Bytes32i"}[data.Type.DType]
	if toBytes == "" {
		return "", false, nil
	}
	c.use(data)
	decl, err := c.def(y)
	if err != nil {
		return "", false, err
	}
	yr, _ := c.ref(y)
	c.needErr = true
	outer := c.prodExpr(data.Type.Shape, 0, int(axis))
	inner := fmt.Sprintf("%d*%s", data.Type.DType.Size(), c.prodExpr(data.Type.Shape, int(axis)+1, r))
	return decl + fmt.Sprintf("if err := rt.GatherRows(%s(%s), %s(%s), %s, %s, %s, m.%s); err != nil {\nreturn Outputs{}, err\n}\n",
		toBytes, yr, toBytes, dr, outer, c.dimExpr(data.Type.Shape[axis]), inner, ir_), true, nil
}

// source assembles model.go.
func (c *gen) source() ([]byte, error) {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("// Code generated by llmc compile from %s; DO NOT EDIT.\n\n", c.opts.Source)
	p("// Package %s runs the compiled model on llmc's CPU kernels.\n", c.opts.Package)
	p("package %s\n\n", c.opts.Package)
	p("import (\n\"context\"\n\"fmt\"\n\"math\"\n\"os\"\n\"path/filepath\"\n\"sync/atomic\"\n")
	if !c.opts.ExternalWeights {
		p("_ \"embed\"\n")
	}
	p("\n\"github.com/llmc/llmc/backend/cpu\"\n\"github.com/llmc/llmc/codegen/rt\"\n)\n\n")
	p("var _ = math.Float32frombits\nvar _ = filepath.Join\nvar _ = os.Executable\n\n")
	if !c.opts.ExternalWeights {
		p("//go:embed weights.bin\nvar weightsBlob []byte\n\n")
	}
	p("// WeightsSize is the size in bytes of weights.bin.\nconst WeightsSize = %d\n\n", c.blob.Len())
	// Inputs
	p("// Inputs holds one run's inputs: flat row-major data and the sizes of the symbolic dims.\ntype Inputs struct {\n")
	for _, s := range c.syms {
		p("%s int // symbolic dim %q\n", c.symVar[s], s)
	}
	for _, v := range c.g.Inputs {
		p("%s []%s // %q %s\n", c.vals[v].field, goType(v.Type.DType), v.Name, c.shapeDoc(v.Type.Shape))
	}
	p("}\n\n")
	// Outputs
	p("// Outputs holds one run's outputs. Call Release when done with them so the next Run can\n// reuse their memory (a run then allocates nothing).\ntype Outputs struct {\n")
	for _, v := range c.g.Outputs {
		p("%s []%s // %q %s\n", goName(v.Name), goType(v.Type.DType), v.Name, c.shapeDoc(v.Type.Shape))
	}
	p("buf *outBuf\n}\n\n")
	p("type outBuf struct {\nm *Model\n")
	for i, v := range c.g.Outputs {
		p("o%d []%s\n", i, goType(v.Type.DType))
	}
	p("}\n\n")
	p("// Release returns the outputs' memory to the model; the slices must not be used afterwards.\nfunc (o *Outputs) Release() {\nif o.buf != nil {\no.buf.m.outs.Put(o.buf)\n*o = Outputs{}\n}\n}\n\n")
	// Model
	p("// Model is the compiled model. It is safe for concurrent use.\ntype Model struct {\npool *cpu.Pool\nblob *rt.Blob\nprecision string\nlayout atomic.Pointer[layout]\narenas rt.ArenaPool\nouts rt.List[outBuf]\n")
	for _, f := range c.fields {
		p("%s\n", f)
	}
	p("}\n\n")
	p("type config struct {\nthreads int\nweights string\nprecision string\n}\n\n// Option configures New.\ntype Option func(*config)\n\n")
	p("// DefaultPrecision is the GEMM precision New uses without WithPrecision.\nconst DefaultPrecision = %q\n\n", c.opts.Precision)
	p("// WithPrecision sets the GEMM precision: \"int8x6\" (AMX-INT8 tiles, each row of the input and\n// column of the weights scaled to a largest magnitude of 127 and split into three int8 slices:\n// float32-class accuracy, about twice as fast as bf16x6; the weights take 0.75 times the memory),\n// \"bf16x6\" (AMX-BF16 tiles, each float32 split into three bfloat16: float32-class accuracy\n// value by value; 1.5 times the memory), \"bf16x3\" (two bfloat16, ~1e-5 relative error; the\n// same memory as float32) or \"fp32\" (float32 FMA kernels). The AMX precisions run the float32\n// kernels where the CPU has no AMX. See Model.Precision.\nfunc WithPrecision(p string) Option { return func(c *config) { c.precision = p } }\n\n")
	p("// WithThreads sets the number of kernel threads (default GOMAXPROCS).\nfunc WithThreads(n int) Option { return func(c *config) { c.threads = n } }\n\n")
	p("// WithWeightsFile loads weights.bin from path instead of the default location.\nfunc WithWeightsFile(path string) Option { return func(c *config) { c.weights = path } }\n\n")
	p("// New loads the weights and prepares the model.\nfunc New(opts ...Option) (*Model, error) {\ncfg := config{precision: DefaultPrecision}\nfor _, o := range opts {\no(&cfg)\n}\namx := cpu.INT8x6\nswitch cfg.precision {\ncase \"int8x6\":\ncase \"bf16x6\":\namx = cpu.BF16x6\ncase \"bf16x3\":\namx = cpu.BF16x3\ncase \"fp32\":\ndefault:\nreturn nil, fmt.Errorf(\"unknown precision %%q (want int8x6, bf16x6, bf16x3 or fp32)\", cfg.precision)\n}\n_ = amx\nm := &Model{precision: \"fp32\"}\n")
	p("if cfg.threads > 0 {\nm.pool = cpu.NewPool(cfg.threads)\n} else {\nm.pool = cpu.DefaultPool()\n}\n")
	if c.opts.ExternalWeights {
		p("path := cfg.weights\nif path == \"\" {\nexe, err := os.Executable()\nif err != nil {\nreturn nil, err\n}\npath = filepath.Join(filepath.Dir(exe), \"weights.bin\")\n}\n")
		p("blob, err := rt.BlobFromFile(path, WeightsSize)\nif err != nil {\nreturn nil, err\n}\n")
	} else {
		p("var blob *rt.Blob\nvar err error\nif cfg.weights != \"\" {\nif blob, err = rt.BlobFromFile(cfg.weights, WeightsSize); err != nil {\nreturn nil, err\n}\n} else {\nblob = rt.BlobFromEmbedded(weightsBlob)\n}\n")
	}
	p("if got := cpu.PackedLayout(); got != %q {\nreturn nil, fmt.Errorf(\"weights were packed for layout %s, this llmc packs %%s: recompile the model\", got)\n}\n", cpu.PackedLayout(), cpu.PackedLayout())
	p("m.blob = blob\n")
	for _, l := range c.loads {
		p("%s\n", l)
	}
	p("if cfg.precision != \"fp32\" && cpu.AMXSupports(amx) {\nm.precision = cfg.precision\n")
	if len(c.packedNames) > 0 {
		// The AMX forms are built on the model's threads, a weight per chunk. The float32
		// panels are read again only by GEMMs of few rows or whose input holds an Inf or NaN:
		// their pages are given back (and read back from the file if those run). Weights
		// holding Inf or NaN get no AMX form and keep their pages.
		p("amxWeights := [...]struct {\npb *cpu.PackedB\noff, n int\n}{\n")
		for i, name := range c.packedNames {
			p("{m.%s, %d, %d},\n", name, c.packedRanges[i][0], c.packedRanges[i][1])
		}
		p("}\nm.pool.ParallelChunks(len(amxWeights), len(amxWeights), func(lo, hi int) {\nfor _, w := range amxWeights[lo:hi] {\nif w.pb.EnableAMX(amx) {\nblob.Drop(w.off, w.n)\n}\n}\n})\n")
	}
	p("}\n")
	p("m.outs.New = func() *outBuf { return &outBuf{m: m} }\n_ = err\nreturn m, nil\n}\n\n")
	p("// Precision reports the GEMM precision in effect: an AMX precision only when it was asked for\n// and the CPU has the AMX unit it needs.\nfunc (m *Model) Precision() string { return m.precision }\n\n")
	// layout
	nb := len(c.bufs)
	p("const numBuffers = %d\n\n", nb)
	p("type layout struct {\ndims [%d]int\noff [numBuffers]int\nsize int\n}\n\n", max(len(c.syms), 1))
	p("var bufFirst = [numBuffers]int{%s}\nvar bufLast = [numBuffers]int{%s}\n\n", joinInts(c.first), joinInts(c.last))
	p("func (m *Model) layoutFor(d [%d]int) *layout {\nif l := m.layout.Load(); l != nil && l.dims == d {\nreturn l\n}\n", max(len(c.syms), 1))
	c.symDecls(&b, "d")
	p("size := []int{%s}\n", strings.Join(c.bufSize, ", "))
	p("off, total := rt.Allocate(size, bufFirst[:], bufLast[:])\nl := &layout{dims: d, size: total}\ncopy(l.off[:], off)\nm.layout.Store(l)\nreturn l\n}\n\n")
	// validation
	p("func (in *Inputs) check() error {\n")
	for _, s := range c.syms {
		p("if in.%s <= 0 {\nreturn fmt.Errorf(\"dim %s must be positive, got %%d\", in.%s)\n}\n", c.symVar[s], s, c.symVar[s])
	}
	for _, v := range c.g.Inputs {
		f := c.vals[v].field
		p("if want := %s; len(in.%s) != want {\nreturn fmt.Errorf(\"input %s: %%d values, want %%d (shape %s)\", len(in.%s), want)\n}\n", c.numelIn(v), f, v.Name, c.shapeDoc(v.Type.Shape), f)
	}
	p("return nil\n}\n\n")
	// Run
	p("// Run runs the model. It is safe to call from many goroutines at once.\nfunc (m *Model) Run(ctx context.Context, in Inputs) (Outputs, error) {\nif err := in.check(); err != nil {\nreturn Outputs{}, err\n}\n")
	p("d := [%d]int{", max(len(c.syms), 1))
	for i, s := range c.syms {
		if i > 0 {
			p(", ")
		}
		p("in.%s", c.symVar[s])
	}
	p("}\nlay := m.layoutFor(d)\narp := m.arenas.Get(lay.size)\ndefer m.arenas.Put(arp)\nar := *arp\n")
	c.symDecls(&b, "d")
	for i, s := range c.steps {
		if i > 0 && i%16 == 0 {
			p("if err := ctx.Err(); err != nil {\nreturn Outputs{}, err\n}\n")
		}
		p("%s", s)
	}
	p("ob := m.outs.Get()\n")
	for i, v := range c.g.Outputs {
		r, err := c.ref(v)
		if err != nil {
			return nil, err
		}
		n := c.numelIn(v)
		p("if cap(ob.o%d) < %s {\nob.o%d = make([]%s, %s)\n}\nob.o%d = ob.o%d[:%s]\ncopy(ob.o%d, %s)\n", i, n, i, goType(v.Type.DType), n, i, i, n, i, r)
	}
	p("return Outputs{")
	for i, v := range c.g.Outputs {
		p("%s: ob.o%d, ", goName(v.Name), i)
	}
	p("buf: ob}, nil\n}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return b.Bytes(), fmt.Errorf("generated code does not format: %v", err)
	}
	return src, nil
}

// symDecls declares the symbol variables from the dims array d.
func (c *gen) symDecls(b *bytes.Buffer, d string) {
	for i, s := range c.syms {
		fmt.Fprintf(b, "%s := %s[%d]\n", c.symVar[s], d, i)
	}
	if len(c.syms) > 0 {
		fmt.Fprintf(b, "_ = []int{")
		for i, s := range c.syms {
			if i > 0 {
				fmt.Fprintf(b, ", ")
			}
			fmt.Fprintf(b, "%s", c.symVar[s])
		}
		fmt.Fprintf(b, "}\n")
	}
}

// numelIn renders a value's element count over the Inputs' dim fields.
func (c *gen) numelIn(v *ir.Value) string {
	e := c.numel(v)
	for _, s := range c.syms {
		e = replaceIdent(e, c.symVar[s], "in."+c.symVar[s])
	}
	if strings.Contains(e, "in.in.") {
		e = strings.ReplaceAll(e, "in.in.", "in.")
	}
	return e
}

func replaceIdent(expr, name, repl string) string {
	parts := strings.Split(expr, "*")
	for i, p := range parts {
		if p == name {
			parts[i] = repl
		}
	}
	return strings.Join(parts, "*")
}

func (c *gen) shapeDoc(s ir.Shape) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = c.dimExpr(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func goType(dt ir.DType) string {
	switch dt {
	case ir.Float32:
		return "float32"
	case ir.Int64:
		return "int64"
	case ir.Int32:
		return "int32"
	}
	return "byte"
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, ", ")
}

// finish extends the lives of output buffers to the end of Run (they are copied out last).
func (c *gen) finish() {
	for _, v := range c.g.Outputs {
		for info := c.vals[v]; info != nil; info = c.vals[v] {
			if info.alias != nil {
				v = info.alias
				continue
			}
			if info.st == stBuffer {
				c.last[info.buf] = len(c.steps)
			}
			break
		}
	}
}

// testSource writes testdata/ and returns model_test.go, which checks the recorded outputs,
// benchmarks Run and checks that a steady-state Run allocates nothing.
func (c *gen) testSource(dir string) ([]byte, error) {
	td := filepath.Join(dir, "testdata")
	if err := os.MkdirAll(td, 0o755); err != nil {
		return nil, err
	}
	dims := map[string]int64{}
	for _, v := range c.g.Inputs {
		t := c.opts.TestInputs[v.Name]
		if t == nil {
			return nil, fmt.Errorf("no test input %q", v.Name)
		}
		for i, d := range v.Type.Shape {
			if d.IsSymbolic() && i < len(t.Shape) {
				dims[d.Param] = t.Shape[i]
			}
		}
		if err := os.WriteFile(filepath.Join(td, fmt.Sprintf("input_%d.bin", c.inputIndex(v))), t.Raw, 0o644); err != nil {
			return nil, err
		}
	}
	for i, t := range c.opts.TestOutputs {
		if err := os.WriteFile(filepath.Join(td, fmt.Sprintf("output_%d.bin", i)), t.Raw, 0o644); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("// Code generated by llmc compile from %s; DO NOT EDIT.\n\npackage %s\n\n", c.opts.Source, c.opts.Package)
	p("import (\n\"context\"\n\"encoding/binary\"\n\"math\"\n\"os\"\n\"runtime\"\n\"sync\"\n\"testing\"\n)\n\n")
	p("func readBin(t testing.TB, name string) []byte {\nt.Helper()\ndata, err := os.ReadFile(\"testdata/\" + name)\nif err != nil {\nt.Fatal(err)\n}\nreturn data\n}\n\n")
	p("func f32s(b []byte) []float32 {\nout := make([]float32, len(b)/4)\nfor i := range out {\nout[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))\n}\nreturn out\n}\n\n")
	p("func i64s(b []byte) []int64 {\nout := make([]int64, len(b)/8)\nfor i := range out {\nout[i] = int64(binary.LittleEndian.Uint64(b[8*i:]))\n}\nreturn out\n}\n\n")
	p("func i32s(b []byte) []int32 {\nout := make([]int32, len(b)/4)\nfor i := range out {\nout[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))\n}\nreturn out\n}\n\n")
	p("func recordedInputs(t testing.TB) Inputs {\nreturn Inputs{\n")
	for _, s := range c.syms {
		p("%s: %d,\n", c.symVar[s], dims[s])
	}
	conv := map[ir.DType]string{ir.Float32: "f32s", ir.Int64: "i64s", ir.Int32: "i32s"}
	for _, v := range c.g.Inputs {
		p("%s: %s(readBin(t, \"input_%d.bin\")),\n", c.vals[v].field, conv[v.Type.DType], c.inputIndex(v))
	}
	p("}\n}\n\n")
	newCall := "New()"
	if c.opts.ExternalWeights {
		newCall = `New(WithWeightsFile("weights.bin"))`
	}
	newCallP := "New(WithPrecision(prec))"
	if c.opts.ExternalWeights {
		newCallP = `New(WithPrecision(prec), WithWeightsFile("weights.bin"))`
	}
	p("// TestRecordedOutputs checks the compiled model, at every GEMM precision, against outputs\n// recorded when it was compiled (from the model's reference test data).\nfunc TestRecordedOutputs(t *testing.T) {\nfor _, prec := range []string{\"fp32\", \"int8x6\", \"bf16x6\", \"bf16x3\"} {\nt.Run(prec, func(t *testing.T) {\nm, err := %s\n", newCallP)
	p("if err != nil {\nt.Fatal(err)\n}\nt.Logf(\"precision in effect: %%s\", m.Precision())\nout, err := m.Run(context.Background(), recordedInputs(t))\nif err != nil {\nt.Fatal(err)\n}\ndefer out.Release()\n")
	for i, v := range c.g.Outputs {
		if i >= len(c.opts.TestOutputs) || c.opts.TestOutputs[i] == nil {
			continue
		}
		switch v.Type.DType {
		case ir.Float32:
			p("{\nwant := f32s(readBin(t, \"output_%d.bin\"))\ngot := out.%s\nif len(got) != len(want) {\nt.Fatalf(\"%s: %%d values, want %%d\", len(got), len(want))\n}\nfor i := range want {\nif d := math.Abs(float64(got[i] - want[i])); d > %g+%g*math.Abs(float64(want[i])) {\nt.Fatalf(\"%s[%%d] = %%v, want %%v\", i, got[i], want[i])\n}\n}\n}\n", i, goName(v.Name), v.Name, c.opts.ATol, c.opts.RTol, v.Name)
		default:
			p("{\nwant := %s(readBin(t, \"output_%d.bin\"))\ngot := out.%s\nfor i := range want {\nif got[i] != want[i] {\nt.Fatalf(\"%s[%%d] = %%v, want %%v\", i, got[i], want[i])\n}\n}\n}\n", conv[v.Type.DType], i, goName(v.Name), v.Name)
		}
	}
	p("})\n}\n}\n\n")
	newCall1P := "New(WithThreads(threads), WithPrecision(prec))"
	if c.opts.ExternalWeights {
		newCall1P = `New(WithThreads(threads), WithPrecision(prec), WithWeightsFile("weights.bin"))`
	}
	p("// TestSteadyStateAllocations checks that Run allocates nothing once warm (outputs released),\n// at every GEMM precision on 1 and 2 threads, even with garbage collections between the calls\n// (as in an application whose other goroutines allocate). Skipped under the race detector.\nfunc TestSteadyStateAllocations(t *testing.T) {\nif raceEnabled {\nt.Skip(\"allocation counts are meaningless under the race detector\")\n}\nfor _, threads := range []int{1, 2} {\nfor _, prec := range []string{\"fp32\", \"int8x6\", \"bf16x6\", \"bf16x3\"} {\nm, err := %s\n", newCall1P)
	p("if err != nil {\nt.Fatal(err)\n}\nin := recordedInputs(t)\nctx := context.Background()\nfor i := 0; i < 3; i++ {\nout, err := m.Run(ctx, in)\nif err != nil {\nt.Fatal(err)\n}\nout.Release()\n}\nallocs := testing.AllocsPerRun(10, func() {\nruntime.GC()\nruntime.GC()\nout, _ := m.Run(ctx, in)\nout.Release()\n})\nif allocs != 0 {\nt.Fatalf(\"%%s, %%d threads: Run allocates %%v times per call in steady state\", m.Precision(), threads, allocs)\n}\n}\n}\n}\n\n")
	p("// TestConcurrentRuns runs the model from several goroutines at once; every result must equal\n// the single-threaded one.\nfunc TestConcurrentRuns(t *testing.T) {\nm, err := %s\nif err != nil {\nt.Fatal(err)\n}\nin := recordedInputs(t)\nref, err := m.Run(context.Background(), in)\nif err != nil {\nt.Fatal(err)\n}\ndefer ref.Release()\nerrs := make(chan string, 8)\nvar wg sync.WaitGroup\nfor g := 0; g < 4; g++ {\nwg.Add(1)\ngo func() {\ndefer wg.Done()\nfor r := 0; r < 3; r++ {\nout, err := m.Run(context.Background(), in)\nif err != nil {\nerrs <- err.Error()\nreturn\n}\n", newCall)
	for _, v := range c.g.Outputs {
		p("for i := range ref.%s {\nif out.%s[i] != ref.%s[i] {\nerrs <- \"%s differs between concurrent runs\"\nout.Release()\nreturn\n}\n}\n", goName(v.Name), goName(v.Name), goName(v.Name), v.Name)
	}
	p("out.Release()\n}\n}()\n}\nwg.Wait()\nclose(errs)\nfor e := range errs {\nt.Fatal(e)\n}\n}\n\n")
	p("func BenchmarkRun(b *testing.B) {\nm, err := %s\n", newCall)
	p("if err != nil {\nb.Fatal(err)\n}\nin := recordedInputs(b)\nctx := context.Background()\nif out, err := m.Run(ctx, in); err == nil {\nout.Release() // warm: the first run lays out the arena\n}\nb.ReportAllocs()\nb.ResetTimer()\nfor i := 0; i < b.N; i++ {\nout, err := m.Run(ctx, in)\nif err != nil {\nb.Fatal(err)\n}\nout.Release()\n}\n}\n")
	return format.Source(b.Bytes())
}

func (c *gen) inputIndex(v *ir.Value) int {
	for i, in := range c.g.Inputs {
		if in == v {
			return i
		}
	}
	return -1
}
