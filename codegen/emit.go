package codegen

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/llmc/llmc/backend/cpu"
	"github.com/llmc/llmc/ir"
	"github.com/llmc/llmc/lower"
)

// gen prints one schedule.
type gen struct {
	s       *lower.Schedule
	opts    Options
	blob    *blobFile
	symGo   map[string]string // dim symbol → Go identifier
	fields  []field           // Model struct fields
	loads   []load            // what New sets them to, in order
	small   []smallConst
	consts  map[int]string // constant value ID → field
	weights map[int]string // weight ID → field
	eps     map[string]string
	amx     []amxWeight
	nfield  int
	inField map[int]string // input value ID → Inputs field
	refIdx  map[*lower.Step]int
	refText string
}

type amxWeight struct {
	Field  string
	Off, N int
}

type smallConst struct {
	load int    // index in gen.loads of the constant whose offset is filled in
	raw  []byte // the data
}

// field is a Model struct field; load is how New sets it (templates/model.go.tmpl prints both).
type field struct{ Name, Type, Comment string }

type load struct {
	Kind        string // "const", "weight" or "epilogue"
	Field, Type string
	Off, N      int // blob offset and element count (const, weight)
	K, Cols     int // weight: op(B) is K x Cols
	Bias, Act   string
}

// view is a view variable a step declares: Name := rt.View[Type](Buf, Off, N).
type view struct{ Name, Type, Buf, Off, N string }

// smallConstBytes bounds the constants (biases, normalization parameters) that go to the end of
// the weights blob, together, instead of where they are first used: the kernel maps file pages
// in large folios (2 MiB seen here), so reading a small constant stored between two packed
// weights made up to 2 MiB of the float32 panels around it resident again after a compiled
// package had given them back (bert-base at bf16x6: 81 MiB).
const smallConstBytes = 256 << 10

func newGen(s *lower.Schedule, opts Options) (*gen, error) {
	c := &gen{s: s, opts: opts, symGo: map[string]string{}, consts: map[int]string{}, weights: map[int]string{},
		eps: map[string]string{}, inField: map[int]string{}, refIdx: map[*lower.Step]int{}}
	used := map[string]bool{}
	for _, v := range s.Inputs {
		f := GoName(v.Name)
		if used[f] {
			return nil, fmt.Errorf("inputs %q and another map to the same Go name %s", v.Name, f)
		}
		used[f] = true
		c.inField[v.ID] = f
	}
	outNames := map[string]string{}
	for _, v := range s.Outputs {
		f := GoName(v.IR.Name)
		if prev, ok := outNames[f]; ok {
			return nil, fmt.Errorf("outputs %q and %q map to the same Go field %s", prev, v.IR.Name, f)
		}
		outNames[f] = v.IR.Name
	}
	for _, d := range s.Dims {
		name := GoName(d)
		for used[name] {
			name += "Dim"
		}
		used[name] = true
		c.symGo[d] = name
	}
	for _, v := range append(append([]*lower.Value{}, s.Inputs...), s.Outputs...) {
		if _, err := goType(v.DType); err != nil {
			return nil, fmt.Errorf("value %q: %w", v.Name, err)
		}
	}
	for _, v := range s.Values {
		if v.Storage != lower.StorageConst {
			if _, err := goType(v.DType); err != nil {
				return nil, fmt.Errorf("value %q: %w", v.Name, err)
			}
		}
	}
	return c, nil
}

// expr renders an Expr over the dim variables.
func (c *gen) expr(e lower.Expr) string {
	return e.Format(func(s string) string { return c.symGo[s] })
}

// fn is the emission state of one generated function (Run, or the bind code of layoutFor).
type fn struct {
	c        *gen
	declared map[int]string // value ID → variable
	pre      []view         // the current step's view declarations
	ret      string         // the error return prefix
	arena    string         // the arena variable ("" where there is none)
}

// ref returns a Go expression for v's elements as a typed slice, declaring a view variable in
// the step's preamble the first time an arena or bind value is used.
func (f *fn) ref(v *lower.Value) string {
	if v == nil {
		return ""
	}
	c := f.c
	root := v.Root()
	switch root.Storage {
	case lower.StorageInput:
		return "in." + c.inField[root.ID]
	case lower.StorageConst:
		return "m." + c.constField(root)
	}
	t, _ := goType(v.DType)
	return f.declare(v, t, v.Numel())
}

// declare names (once) a view variable of n elements of Go type t over an arena or bind value.
func (f *fn) declare(v *lower.Value, t string, n lower.Expr) string {
	if name, ok := f.declared[v.ID]; ok {
		return name
	}
	name := fmt.Sprintf("v%d", v.ID)
	root := v.Root()
	vw := view{Name: name, Type: t, Buf: f.arena, Off: fmt.Sprintf("lay.off[%d]", root.Slot), N: f.c.expr(n)}
	if root.Storage == lower.StorageBind {
		vw.Buf, vw.Off = "lay.bind", fmt.Sprintf("lay.boff[%d]", root.Slot)
	}
	f.pre = append(f.pre, vw)
	f.declared[v.ID] = name
	return name
}

// bytesOf is ref as a []byte expression.
func (f *fn) bytesOf(v *lower.Value) string {
	if v == nil {
		return ""
	}
	return "rt.AsBytes(" + f.ref(v) + ")"
}

// newField names a Model field.
func (c *gen) newField(prefix string) string {
	c.nfield++
	return fmt.Sprintf("%s%d", prefix, c.nfield-1)
}

// addBlob appends data to the weights blob (64-byte aligned) and returns its offset.
func (c *gen) addBlob(raw []byte) int {
	c.blob.Align()
	off := c.blob.Len()
	c.blob.Write(raw)
	return off
}

// constField makes (once) a Model field holding a constant and returns its name.
func (c *gen) constField(v *lower.Value) string {
	if f, ok := c.consts[v.ID]; ok {
		return f
	}
	t := v.Const.Aligned()
	name := c.newField("c")
	gt, _ := goType(t.DType)
	off := -1 // small constants: placed after the large ones (placeSmallConsts)
	if len(t.Raw) > smallConstBytes {
		off = c.addBlob(t.Raw)
	} else {
		c.small = append(c.small, smallConst{load: len(c.loads), raw: t.Raw})
	}
	c.fields = append(c.fields, field{Name: name, Type: "[]" + gt, Comment: v.Name + " " + t.Type().String()})
	c.loads = append(c.loads, load{Kind: "const", Field: name, Type: gt, Off: off, N: t.Len()})
	c.consts[v.ID] = name
	return name
}

// placeSmallConsts writes the small constants at the end of the blob and puts their offsets into
// their load lines (written with offset -1).
func (c *gen) placeSmallConsts() {
	for _, sc := range c.small {
		off := c.addBlob(sc.raw)
		c.loads[sc.load].Off = off
	}
	c.small = nil
}

// weightField packs a weight into the blob (once) and returns its Model field.
func (c *gen) weightField(w *lower.Weight) string {
	if f, ok := c.weights[w.ID]; ok {
		return f
	}
	t := w.Value.Const.Aligned()
	pb := cpu.PackB(nil, w.TransB, w.K, w.N, t.Float32s(), int(t.Shape[1]))
	data := pb.Data()
	c.blob.Align()
	off := c.blob.Len()
	c.blob.WriteF32s(data)
	name := c.newField("w")
	c.fields = append(c.fields, field{Name: name, Type: "*cpu.PackedB", Comment: fmt.Sprintf("%s packed, op(B) %dx%d", w.Value.Name, w.K, w.N)})
	c.loads = append(c.loads, load{Kind: "weight", Field: name, Off: off, N: len(data), K: w.K, Cols: w.N})
	c.amx = append(c.amx, amxWeight{Field: name, Off: off, N: 4 * len(data)})
	c.weights[w.ID] = name
	return name
}

// epilogueField makes (once) a Model field holding a GEMM epilogue, or returns "nil".
func (c *gen) epilogueField(bias *lower.Value, act lower.Act) string {
	l := load{Kind: "epilogue"}
	if bias != nil {
		l.Bias = "m." + c.constField(bias.Root())
	}
	switch act {
	case lower.ActGELU:
		l.Act = "cpu.ActGELU"
	case lower.ActGELUTanh:
		l.Act = "cpu.ActGELUTanh"
	}
	if l.Bias == "" && l.Act == "" {
		return "nil"
	}
	key := l.Bias + "/" + l.Act
	if f, ok := c.eps[key]; ok {
		return "m." + f
	}
	l.Field = c.newField("ep")
	c.fields = append(c.fields, field{Name: l.Field, Type: "*cpu.Epilogue"})
	c.loads = append(c.loads, l)
	c.eps[key] = l.Field
	return "m." + l.Field
}

// step renders one step: a comment, the view declarations it needs, and its kernel call.
func (f *fn) step(st *lower.Step) (string, error) {
	name, data, err := f.stepData(st)
	if err != nil {
		return "", fmt.Errorf("%s: %w", st.Describe(), err)
	}
	var call bytes.Buffer
	if err := templates.ExecuteTemplate(&call, name, data); err != nil {
		return "", fmt.Errorf("%s: %w", st.Describe(), err)
	}
	var b bytes.Buffer
	n := st.Nodes[0]
	fmt.Fprintf(&b, "// %s %s\n", n.QualifiedOp(), strings.ReplaceAll(n.Name, "\n", " "))
	if err := f.flush(&b); err != nil {
		return "", err
	}
	b.WriteString(call.String())
	return b.String(), nil
}

// flush prints the pending view declarations.
func (f *fn) flush(b *bytes.Buffer) error {
	err := templates.ExecuteTemplate(b, "views", f.pre)
	f.pre = f.pre[:0]
	return err
}

// stepData picks a kind's template and renders its arguments.
func (f *fn) stepData(st *lower.Step) (string, map[string]any, error) {
	c := f.c
	e := c.expr
	switch k := st.Kernel.(type) {
	case *lower.Gemm:
		post := ""
		if !k.Act.Fused() {
			post = k.Act.String()
		}
		return "Gemm", map[string]any{"TransA": k.TransA, "M": e(k.M), "Alpha": f32lit(k.Alpha), "A": f.ref(k.A), "LdA": e(k.LdA),
			"W": c.weightField(k.W), "Y": f.ref(k.Y), "N": k.W.N, "Ep": c.epilogueField(k.Bias, k.Act), "Post": post}, nil
	case *lower.GemmSkipLayerNorm:
		return "GemmSkipLayerNorm", map[string]any{"M": e(k.M), "A": f.ref(k.A), "K": k.W.K, "N": k.W.N, "W": c.weightField(k.W),
			"Ep": c.epilogueField(k.Bias, lower.ActNone), "Y": f.ref(k.Y), "Sum": f.ref(k.Sum), "Skip": f.ref(k.Skip),
			"Gamma": f.ref(k.Gamma), "Beta": f.ref(k.Beta), "Eps": f32lit(k.Eps)}, nil
	case *lower.MatMul:
		return "MatMul", map[string]any{"Outer": e(k.Outer), "Inner": e(k.Inner), "TransA": k.TransA, "TransB": k.TransB,
			"M": e(k.M), "N": e(k.N), "K": e(k.K), "Alpha": f32lit(k.Alpha), "A": f.ref(k.A), "LdA": e(k.LdA),
			"SAO": e(k.SA.Outer), "SAI": e(k.SA.Inner), "B": f.ref(k.B), "LdB": e(k.LdB), "SBO": e(k.SB.Outer), "SBI": e(k.SB.Inner),
			"Y": f.ref(k.Y), "SYO": e(lower.Product(k.Inner, k.M, k.N)), "SYI": e(lower.Product(k.M, k.N))}, nil
	case *lower.AttentionQKV:
		return "AttentionQKV", map[string]any{"X": f.ref(k.X), "B": e(k.B), "S": e(k.S), "In": k.In, "Hidden": k.Hidden,
			"W": c.weightField(k.W), "Ep": c.epilogueField(k.Bias, lower.ActNone), "Scratch": f.scratchF32(k.Scratch)}, nil
	case *lower.AttentionCore:
		d := map[string]any{"Y": f.ref(k.Y), "B": e(k.B), "S": e(k.S), "Hidden": k.Hidden, "Heads": k.Heads,
			"Scale": f32lit(k.Scale), "Filter": f32lit(k.Filter), "Scratch": f.scratchF32(k.Scratch), "Mask": "nil", "MaskIndex": ""}
		if k.MaskIndex != nil {
			km := f.scratchI32(k.KeyMask)
			d["MaskIndex"], d["KeyMask"], d["Mask"] = f.ref(k.MaskIndex), km, km
		} else if k.Mask != nil {
			d["Mask"] = f.ref(k.Mask)
		}
		return "AttentionCore", d, nil
	case *lower.LayerNorm:
		return "LayerNorm", map[string]any{"Y": f.ref(k.Y), "X": f.ref(k.X), "Rows": e(k.Rows), "N": e(k.N),
			"Gamma": f.ref(k.Gamma), "Beta": f.ref(k.Beta), "Eps": f32lit(k.Eps), "Mean": f.ref(k.Mean), "InvStd": f.ref(k.InvStd)}, nil
	case *lower.SkipLayerNorm:
		return "SkipLayerNorm", map[string]any{"Y": f.ref(k.Y), "X": f.ref(k.X), "Skip": f.ref(k.Skip), "Sum": f.ref(k.Sum),
			"Bias": f.ref(k.Bias), "Rows": e(k.Rows), "N": k.N, "Gamma": f.ref(k.Gamma), "Beta": f.ref(k.Beta), "Eps": f32lit(k.Eps)}, nil
	case *lower.EmbedLayerNorm:
		return "EmbedLayerNorm", map[string]any{"Y": f.ref(k.Y), "Ids": f.ref(k.Ids), "Seg": f.ref(k.Seg), "Mask": f.ref(k.Mask),
			"MaskIndex": f.ref(k.MaskIndex), "Sum": f.ref(k.Sum), "B": e(k.B), "S": e(k.S), "Hidden": k.Hidden,
			"Word": f.ref(k.Word), "Pos": f.ref(k.Pos), "SegTable": f.ref(k.SegTable), "Gamma": f.ref(k.Gamma), "Beta": f.ref(k.Beta),
			"Eps": f32lit(k.Eps), "Ret": f.ret}, nil
	case *lower.Gelu:
		return "Gelu", map[string]any{"Y": f.ref(k.Y), "X": f.ref(k.X), "Bias": f.ref(k.Bias), "Rows": e(k.Rows), "N": e(k.N), "Tanh": k.Tanh}, nil
	case *lower.Unary:
		args := make([]string, len(k.Args))
		for i, a := range k.Args {
			args[i] = f32lit(a)
		}
		return "Unary", map[string]any{"Op": string(k.Op), "Y": f.ref(k.Y), "X": f.ref(k.X), "Args": args}, nil
	case *lower.Softmax:
		inner, ok := k.Inner.Value()
		return "Softmax", map[string]any{"Y": f.ref(k.Y), "X": f.ref(k.X), "Rows": e(k.Rows), "N": e(k.N), "Inner": e(k.Inner),
			"Log": k.Log, "Axis": !ok || inner != 1}, nil
	case *lower.TransposeBSHD:
		return "TransposeBSHD", map[string]any{"Y": f.ref(k.Y), "X": f.ref(k.X), "B": e(k.B), "S": e(k.S), "H": e(k.H), "D": e(k.D)}, nil
	case *lower.Cast:
		fn := "Convert"
		switch {
		case k.From == ir.Bool:
			fn = "ConvertFromBool"
		case k.To == ir.Bool:
			fn = "ConvertToBool"
		}
		return "Cast", map[string]any{"Func": fn, "Y": f.ref(k.Y), "X": f.ref(k.X)}, nil
	case *lower.Gather:
		fn := "Gather"
		if k.Idx.DType == ir.Int32 {
			fn = "GatherI32"
		}
		return "Gather", map[string]any{"Func": fn, "Y": f.ref(k.Y), "Data": f.ref(k.Data), "Outer": e(k.Outer), "Rows": e(k.Rows),
			"Inner": e(k.Inner), "Idx": f.ref(k.Idx), "Ret": f.ret}, nil
	case *lower.Broadcast:
		return "Broadcast", map[string]any{"Float32": k.Y.DType == ir.Float32, "Op": string(k.Op), "Y": f.ref(k.Y), "YS": c.shapeLit(k.Y),
			"A": f.ref(k.A), "AS": c.shapeLit(k.A), "B": f.ref(k.B), "BS": c.shapeLit(k.B), "Ret": f.ret}, nil
	case *lower.Compare:
		return "Compare", map[string]any{"Op": k.Op, "Y": f.ref(k.Y), "YS": c.shapeLit(k.Y),
			"A": f.ref(k.A), "AS": c.shapeLit(k.A), "B": f.ref(k.B), "BS": c.shapeLit(k.B)}, nil
	case *lower.Logical:
		d := map[string]any{"Op": k.Op, "Y": f.ref(k.Y), "A": f.ref(k.A), "B": ""}
		if k.B != nil {
			d["B"], d["YS"], d["AS"], d["BS"] = f.ref(k.B), c.shapeLit(k.Y), c.shapeLit(k.A), c.shapeLit(k.B)
		}
		return "Logical", d, nil
	case *lower.Where:
		return "Where", map[string]any{"Y": f.ref(k.Y), "Size": k.Y.DType.Size(), "YS": c.shapeLit(k.Y), "C": f.ref(k.Cond), "CS": c.shapeLit(k.Cond),
			"X": f.ref(k.X), "XS": c.shapeLit(k.X), "Z": f.ref(k.Z), "ZS": c.shapeLit(k.Z)}, nil
	case *lower.Expand:
		return "Expand", map[string]any{"Y": f.ref(k.Y), "X": f.ref(k.X), "Size": k.Y.DType.Size(), "YS": c.shapeLit(k.Y), "XS": c.shapeLit(k.X)}, nil
	case *lower.Reduce:
		return "Reduce", map[string]any{"Op": k.Op, "Y": f.ref(k.Y), "X": f.ref(k.X), "XS": c.shapeLit(k.X), "Axes": intsLit(k.Axes)}, nil
	case *lower.Transpose:
		return "Transpose", map[string]any{"Y": f.ref(k.Y), "X": f.ref(k.X), "Size": k.X.DType.Size(), "XS": c.shapeLit(k.X), "Perm": intsLit(k.Perm)}, nil
	case *lower.Concat:
		parts := make([]string, len(k.Parts))
		for i, v := range k.Parts {
			parts[i] = f.ref(v)
		}
		return "Concat", map[string]any{"Y": f.ref(k.Y), "Outer": e(k.Outer), "Parts": parts, "Inner": c.exprsLit(k.Inner)}, nil
	case *lower.Slice:
		return "Slice", map[string]any{"Y": f.ref(k.Y), "X": f.ref(k.X), "Size": k.X.DType.Size(), "XS": c.shapeLit(k.X), "YS": c.shapeLit(k.Y),
			"Starts": c.exprsLit(k.Starts), "Steps": c.exprsLit(k.Steps)}, nil
	case *lower.CumSum:
		return "CumSum", map[string]any{"Y": f.ref(k.Y), "X": f.ref(k.X), "Outer": e(k.Outer), "N": e(k.N), "Inner": e(k.Inner),
			"Exclusive": k.Exclusive, "Reverse": k.Reverse}, nil
	case *lower.ShapeOf:
		dims := make([]string, len(k.Dims))
		for i, d := range k.Dims {
			dims[i] = e(d)
		}
		return "ShapeOf", map[string]any{"Y": f.ref(k.Y), "Dims": dims}, nil
	case *lower.Ref:
		type arg struct{ Shape, Data string }
		args := func(vs []*lower.Value) []arg {
			out := make([]arg, len(vs))
			for i, v := range vs {
				if v == nil {
					continue
				}
				dims := make([]string, len(v.Shape))
				for j, d := range v.Shape {
					dims[j] = "int64(" + e(d) + ")"
					if x, ok := d.Value(); ok {
						dims[j] = fmt.Sprint(x)
					}
				}
				out[i] = arg{Shape: strings.Join(dims, ", "), Data: f.bytesOf(v)}
			}
			return out
		}
		outs := make([]string, len(k.Out))
		for i, v := range k.Out {
			outs[i] = f.bytesOf(v)
		}
		return "Ref", map[string]any{"Index": c.refIdx[st], "Ins": args(k.In), "Outs": outs, "Free": args(k.Free), "Ret": f.ret}, nil
	}
	return "", nil, fmt.Errorf("codegen has no template for %T", st.Kernel)
}

// scratchF32 views a byte scratch buffer as float32s.
func (f *fn) scratchF32(v *lower.Value) string {
	return f.typedScratch(v, "float32", 4)
}

func (f *fn) scratchI32(v *lower.Value) string {
	return f.typedScratch(v, "int32", 4)
}

func (f *fn) typedScratch(v *lower.Value, t string, size int64) string {
	n, _ := v.Numel().DivExact(size)
	return f.declare(v, t, n)
}

// refGraph writes the reference steps' nodes as a textual IR graph (its inputs: the values they
// read from the rest of the model) and numbers the steps.
func (c *gen) refGraph() (string, error) {
	refs := c.s.RefSteps()
	if len(refs) == 0 {
		return "", nil
	}
	g := &ir.Graph{Name: "reference_steps", Opsets: c.s.Graph.Root().Opsets}
	// copies of the nodes over fresh values: constants are passed like any input (their data
	// is in the weights blob), so every value the nodes read from elsewhere is a graph input
	vmap := map[*ir.Value]*ir.Value{}
	use := func(v *ir.Value) *ir.Value {
		if v == nil {
			return nil
		}
		if nv := vmap[v]; nv != nil {
			return nv
		}
		t := v.Type
		if v.Const != nil {
			t = v.Const.Type()
		}
		nv := &ir.Value{Name: v.Name, Type: t}
		vmap[v] = nv
		g.Inputs = append(g.Inputs, nv)
		return nv
	}
	for i, st := range refs {
		n := st.Kernel.(*lower.Ref).Node
		c.refIdx[st] = i
		nn := &ir.Node{Name: n.Name, Op: n.Op, Domain: n.Domain, Attrs: n.Attrs}
		for _, v := range n.Inputs {
			nn.Inputs = append(nn.Inputs, use(v))
		}
		for _, v := range st.Kernel.(*lower.Ref).FreeIR {
			use(v) // read by its subgraphs by name: an input of the same name
		}
		for _, o := range n.Outputs {
			var no *ir.Value
			if o != nil {
				no = &ir.Value{Name: o.Name, Type: o.Type, Def: nn}
				vmap[o] = no
				g.Outputs = append(g.Outputs, no)
			}
			nn.Outputs = append(nn.Outputs, no)
		}
		g.Nodes = append(g.Nodes, nn)
	}
	text := ir.FormatModel(&ir.Model{IRVersion: 8, ProducerName: "llmc", Graph: g})
	if _, err := ir.ParseModel(text); err != nil {
		return "", fmt.Errorf("the reference steps do not round-trip through the textual IR: %w", err)
	}
	return text, nil
}

// shapeLit renders a value's shape as a []int literal over the dim variables.
func (c *gen) shapeLit(v *lower.Value) string { return c.exprsLit(v.Shape) }

func (c *gen) exprsLit(es []lower.Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = c.expr(e)
	}
	return "[]int{" + strings.Join(parts, ", ") + "}"
}

func intsLit(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return "[]int{" + strings.Join(parts, ", ") + "}"
}
