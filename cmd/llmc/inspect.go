package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/llmc/llmc/frontend/onnx"
	"github.com/llmc/llmc/ir"
	"github.com/llmc/llmc/viz"
)

func init() {
	register(command{name: "inspect", summary: "show a model's metadata, inputs, outputs, ops and parameters", run: runInspect})
	register(command{name: "dot", summary: "draw a model as a Graphviz graph", run: runDot})
	register(command{name: "convert", summary: "import and re-export a model (or print its textual IR)", run: runConvert})
}

func runInspect(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inspect", "[--json] MODEL", "Shows producer, IR and opset versions, inputs and outputs with element types and\n(symbolic) shapes, the op histogram, parameter count and bytes, and external data files.", stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	m, err := onnx.Load(pos[0])
	if err != nil {
		return err
	}
	s := ir.Summarize(m)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	fmt.Fprintf(stdout, "model:      %s\n", pos[0])
	prod := s.Producer
	if s.ProducerVersion != "" {
		prod += " " + s.ProducerVersion
	}
	fmt.Fprintf(stdout, "producer:   %s\n", prod)
	var ops []string
	for _, d := range sortedKeys(s.Opsets) {
		ops = append(ops, fmt.Sprintf("%s %d", d, s.Opsets[d]))
	}
	fmt.Fprintf(stdout, "ir version: %d\nopsets:     %s\n", s.IRVersion, strings.Join(ops, ", "))
	fmt.Fprintf(stdout, "inputs:\n")
	for _, v := range s.Inputs {
		fmt.Fprintf(stdout, "  %-24s %s\n", v.Name, v.Type)
	}
	fmt.Fprintf(stdout, "outputs:\n")
	for _, v := range s.Outputs {
		fmt.Fprintf(stdout, "  %-24s %s\n", v.Name, v.Type)
	}
	fmt.Fprintf(stdout, "parameters: %d in %d constants (%s)\n", s.Parameters, s.Constants, humanBytes(s.ParameterBytes))
	for _, f := range s.ExternalFiles {
		fmt.Fprintf(stdout, "external:   %s\n", f)
	}
	fmt.Fprintf(stdout, "nodes:      %d\n", s.Nodes)
	for _, oc := range s.Ops {
		fmt.Fprintf(stdout, "  %-32s %5d\n", oc.Op, oc.Count)
	}
	return nil
}

func humanBytes(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && ks[j] < ks[j-1]; j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
	return ks
}

func runDot(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("dot", "MODEL -o FILE.dot [--svg]", "Draws the model with Graphviz: ops coloured by kind, edges labelled with element type and\nshape, weights folded into their consumer's label, name scopes as clusters.", stderr)
	out := fs.String("o", "", "output `file` (.dot); - for standard output")
	svg := fs.Bool("svg", false, "also render FILE.svg with Graphviz's dot (apt-get install graphviz)")
	depth := fs.Int("cluster-depth", 4, "name-scope levels drawn as nested clusters")
	flat := fs.Bool("no-clusters", false, "do not group nodes by name scope")
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if *out == "" {
		return usagef("-o FILE.dot is required")
	}
	m, err := onnx.Load(pos[0])
	if err != nil {
		return err
	}
	src := viz.Dot(m.Graph, viz.Options{MaxClusterDepth: *depth, NoClusters: *flat, Title: filepath.Base(pos[0])})
	if *out == "-" {
		_, err := io.WriteString(stdout, src)
		return err
	}
	if err := os.WriteFile(*out, []byte(src), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d nodes)\n", *out, m.Graph.NumNodes())
	if !*svg {
		return nil
	}
	bin, err := exec.LookPath("dot")
	if err != nil {
		return fmt.Errorf("--svg needs Graphviz's dot, which is not installed (Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz); %s is written and any Graphviz viewer opens it", *out)
	}
	svgPath := strings.TrimSuffix(*out, filepath.Ext(*out)) + ".svg"
	cmd := exec.Command(bin, "-Tsvg", "-o", svgPath, *out)
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("graphviz failed: %v", err)
	}
	fmt.Fprintf(stdout, "wrote %s\n", svgPath)
	return nil
}

func runConvert(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("convert", "MODEL -o OUT.onnx | MODEL --text [-o OUT.llmc]", "Imports the model and writes it back as ONNX (or, with --text, as llmc's textual IR).", stderr)
	out := fs.String("o", "", "output `file` (- for standard output with --text)")
	text := fs.Bool("text", false, "write the textual IR instead of ONNX")
	elide := fs.Int("elide", 0, "with --text: print constants of more than `N` elements as <N elements> (not re-parseable)")
	external := fs.Bool("external-data", false, "write weights to OUT.onnx.data next to the model")
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if !*text && *out == "" {
		return usagef("-o OUT.onnx is required (or --text)")
	}
	var m *ir.Model
	if strings.HasSuffix(pos[0], ".llmc") {
		src, err := os.ReadFile(pos[0])
		if err != nil {
			return err
		}
		if m, err = ir.ParseModel(string(src)); err != nil {
			return fmt.Errorf("%s: %v", pos[0], err)
		}
	} else if m, err = onnx.Load(pos[0]); err != nil {
		return err
	}
	if *text {
		w := stdout
		if *out != "" && *out != "-" {
			f, err := os.Create(*out)
			if err != nil {
				return err
			}
			defer f.Close()
			w = f
		}
		return ir.PrintModel(w, m, ir.PrintOptions{ElideConstants: *elide})
	}
	return onnx.Save(m, *out, onnx.ExportOptions{ExternalData: *external})
}
