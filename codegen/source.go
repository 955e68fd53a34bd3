package codegen

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/llmc/llmc/backend/cpu"
	"github.com/llmc/llmc/ir"
	"github.com/llmc/llmc/lower"
)

type dimData struct{ Sym, Go string }

type ioData struct {
	Field, GoType, Name, ShapeDoc string
	NumelIn                       string // the element count over the dims (in.Batch, ... for inputs; Batch, ... in Run)
	Ref                           string // outputs: the value in Run
	ShapeList                     string // outputs: the dims as a list of Go expressions
}

// modelData is what templates/model.go.tmpl prints.
type modelData struct {
	Source, Package                string
	External, HasRef               bool
	WeightsSize                    int
	Dims                           []dimData
	NumDims                        int
	DimDecls, DimArgs              string
	Inputs, Outputs                []ioData
	Fields                         []field
	Loads                          []load
	AMXWeights                     []amxWeight
	DefaultPrecision, PackedLayout string
	SlotSizes, BindSizes           []string
	SlotFirst, SlotLast            string
	BindCode, RunCode              string
}

// sizeExpr renders a buffer size as Go that reports overflow (-1; see rt.SizeMul).
func (c *gen) sizeExpr(e lower.Expr) string {
	return e.FormatChecked(func(s string) string { return c.symGo[s] }, "rt.SizeMul", "rt.SizeAdd")
}

// shapeDoc renders a value's shape over the Go dim names.
func (c *gen) shapeDoc(v *lower.Value) string {
	parts := make([]string, len(v.Shape))
	for i, d := range v.Shape {
		parts[i] = c.expr(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// source prints model.go (writing the weights blob as it goes).
func (c *gen) source() ([]byte, error) {
	s := c.s
	var err error
	if c.refText, err = c.refGraph(); err != nil {
		return nil, err
	}
	d := &modelData{Source: c.opts.Source, Package: c.opts.Package, External: c.opts.ExternalWeights, HasRef: c.refText != "",
		NumDims: max(len(s.Dims), 1), PackedLayout: cpu.PackedLayout()}
	d.DefaultPrecision = map[cpu.Precision]string{cpu.FP32: "FP32", cpu.BF16x3: "BF16x3", cpu.BF16x6: "BF16x6", cpu.INT8x6: "INT8x6"}[c.opts.Precision]
	var decls, args []string
	for i, sym := range s.Dims {
		d.Dims = append(d.Dims, dimData{Sym: sym, Go: c.symGo[sym]})
		decls = append(decls, fmt.Sprintf("%s := d[%d]", c.symGo[sym], i))
		args = append(args, "in."+c.symGo[sym])
	}
	if len(decls) > 0 {
		names := make([]string, len(s.Dims))
		for i, sym := range s.Dims {
			names[i] = c.symGo[sym]
		}
		d.DimDecls = "\n" + strings.Join(decls, "\n") + "\n_ = []int{" + strings.Join(names, ", ") + "}"
	}
	d.DimArgs = strings.Join(args, ", ")
	inExpr := func(e lower.Expr) string {
		return e.Format(func(sym string) string { return "in." + c.symGo[sym] })
	}
	for _, v := range s.Inputs {
		gt, _ := goType(v.DType)
		d.Inputs = append(d.Inputs, ioData{Field: c.inField[v.ID], GoType: gt, Name: v.Name, ShapeDoc: c.shapeDoc(v), NumelIn: inExpr(v.Numel())})
	}
	// bind steps (in layoutFor), then the run's steps
	bind := &fn{c: c, declared: map[int]string{}, ret: "return nil, "}
	var code strings.Builder
	for _, st := range s.BindSteps() {
		out, err := bind.step(st)
		if err != nil {
			return nil, err
		}
		code.WriteString(out)
	}
	d.BindCode = code.String()
	run := &fn{c: c, declared: map[int]string{}, ret: "return Outputs{}, ", arena: "ar"}
	code.Reset()
	for i, st := range s.RunSteps() {
		if i > 0 && i%16 == 0 {
			code.WriteString("if err := ctx.Err(); err != nil {\nreturn Outputs{}, err\n}\n")
		}
		out, err := run.step(st)
		if err != nil {
			return nil, err
		}
		code.WriteString(out)
	}
	for _, v := range s.Outputs {
		gt, _ := goType(v.DType)
		doc := c.shapeDoc(v)
		d.Outputs = append(d.Outputs, ioData{Field: GoName(v.IR.Name), GoType: gt, Name: v.IR.Name, ShapeDoc: doc,
			NumelIn: c.expr(v.Numel()), Ref: run.ref(v), ShapeList: doc[1 : len(doc)-1]})
	}
	var tail bytes.Buffer
	if err := run.flush(&tail); err != nil {
		return nil, err
	}
	code.Write(tail.Bytes())
	d.RunCode = code.String()
	for _, sl := range s.Slots {
		d.SlotSizes = append(d.SlotSizes, c.sizeExpr(sl.Bytes))
	}
	for _, sl := range s.BindSlots {
		d.BindSizes = append(d.BindSizes, c.sizeExpr(sl.Bytes))
	}
	first, last := make([]string, len(s.Slots)), make([]string, len(s.Slots))
	for i, sl := range s.Slots {
		first[i], last[i] = fmt.Sprint(sl.First), fmt.Sprint(sl.Last)
	}
	d.SlotFirst, d.SlotLast = strings.Join(first, ", "), strings.Join(last, ", ")
	c.placeSmallConsts()
	d.Fields, d.Loads, d.AMXWeights, d.WeightsSize = c.fields, c.loads, c.amx, c.blob.Len()
	return render("model.go.tmpl", d)
}

// testData is what templates/model_test.go.tmpl prints.
type testData struct {
	Source, Package string
	External        bool
	Dims            []testDim
	Inputs          []testIO
	Outputs         []testIO
	ATol, RTol      float64
	// RefSteps names the ops that run on the reference implementation, which allocates on
	// every Run (the steady-state allocation test is skipped, and says why).
	RefSteps string
}

type testDim struct {
	Go  string
	Val int64
}

type testIO struct {
	Field, Name, Conv string
	Index             int
	Float             bool
}

// testSource writes testdata/ and returns model_test.go, which checks the recorded outputs at
// every precision, that a steady-state Run allocates nothing, and concurrent runs.
func (c *gen) testSource(dir string) ([]byte, error) {
	s := c.s
	td := filepath.Join(dir, "testdata")
	if err := os.MkdirAll(td, 0o755); err != nil {
		return nil, err
	}
	dims := map[string]int64{}
	d := &testData{Source: c.opts.Source, Package: c.opts.Package, External: c.opts.ExternalWeights, ATol: c.opts.ATol, RTol: c.opts.RTol}
	conv := func(dt ir.DType) string {
		t, _ := goType(dt)
		return "fromBytes[" + t + "]"
	}
	for i, v := range s.Inputs {
		t := c.opts.TestInputs[v.Name]
		if t == nil {
			return nil, fmt.Errorf("no test input %q", v.Name)
		}
		if t.DType != v.DType || len(t.Shape) != len(v.Shape) {
			return nil, fmt.Errorf("test input %q is %s, the model takes %s", v.Name, t.Type(), v.DType)
		}
		for j, e := range v.Shape {
			if syms := e.Syms(); len(syms) == 1 {
				dims[syms[0]] = t.Shape[j]
			}
		}
		if err := os.WriteFile(filepath.Join(td, fmt.Sprintf("input_%d.bin", i)), t.Raw, 0o644); err != nil {
			return nil, err
		}
		d.Inputs = append(d.Inputs, testIO{Field: c.inField[v.ID], Name: v.Name, Conv: conv(v.DType), Index: i})
	}
	for _, sym := range s.Dims {
		d.Dims = append(d.Dims, testDim{Go: c.symGo[sym], Val: dims[sym]})
	}
	for i, v := range s.Outputs {
		if i >= len(c.opts.TestOutputs) || c.opts.TestOutputs[i] == nil {
			continue
		}
		t := c.opts.TestOutputs[i]
		if t.DType != v.DType {
			return nil, fmt.Errorf("test output %d (%q) is %s, the model makes %s", i, v.IR.Name, t.DType, v.DType)
		}
		if err := os.WriteFile(filepath.Join(td, fmt.Sprintf("output_%d.bin", i)), t.Raw, 0o644); err != nil {
			return nil, err
		}
		d.Outputs = append(d.Outputs, testIO{Field: GoName(v.IR.Name), Name: v.IR.Name, Conv: conv(v.DType), Index: i,
			Float: v.DType == ir.Float32 || v.DType == ir.Float64})
	}
	var refs []string
	for _, st := range s.RunSteps() {
		if _, ok := st.Kernel.(*lower.Ref); ok {
			refs = append(refs, st.Nodes[0].QualifiedOp())
		}
	}
	d.RefSteps = strings.Join(refs, ", ")
	return render("model_test.go.tmpl", d)
}
