package codegen

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/llmc/llmc/backend/cpu"
	"github.com/llmc/llmc/ir"
)

// ModulePath is the import path of llmc's module, which compiled packages require.
const ModulePath = "github.com/llmc/llmc"

// Requirement says how a module that holds a compiled package gets llmc: a published Version
// (require), or a local checkout Dir (require plus replace, for development builds).
type Requirement struct {
	Version string
	Dir     string
}

// GoModLines returns the go.mod lines that make a module build compiled packages.
func (r Requirement) GoModLines() string {
	if r.Dir != "" {
		return fmt.Sprintf("require %s v0.0.0-00010101000000-000000000000\n\nreplace %s => %s\n", ModulePath, ModulePath, r.Dir)
	}
	return fmt.Sprintf("require %s %s\n", ModulePath, r.Version)
}

// FindModule says which llmc a compiled package should build against: $LLMC_MODULE (a checkout
// directory), else the version this binary was installed at (go install
// github.com/llmc/llmc/cmd/llmc@vX), else the checkout the go tool resolves the module to from
// the current directory, else the checkout this binary was built from.
func FindModule() (Requirement, error) {
	if d := os.Getenv("LLMC_MODULE"); d != "" {
		if !isLLMCModule(d) {
			return Requirement{}, fmt.Errorf("LLMC_MODULE=%s is not a checkout of %s (no go.mod declaring it)", d, ModulePath)
		}
		abs, err := filepath.Abs(d)
		return Requirement{Dir: abs}, err
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Path == ModulePath && bi.Main.Version != "" && bi.Main.Version != "(devel)" && !strings.Contains(bi.Main.Version, "+dirty") {
		return Requirement{Version: bi.Main.Version}, nil
	}
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", ModulePath).Output(); err == nil {
		if d := strings.TrimSpace(string(out)); d != "" && isLLMCModule(d) {
			return Requirement{Dir: d}, nil
		}
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		if d := filepath.Dir(filepath.Dir(file)); isLLMCModule(d) {
			return Requirement{Dir: d}, nil
		}
	}
	return Requirement{}, errors.New("cannot find the llmc module to build against: set LLMC_MODULE to a checkout of " + ModulePath)
}

func isLLMCModule(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	return err == nil && strings.HasPrefix(strings.TrimSpace(string(b)), "module "+ModulePath+"\n")
}

// Case is one model RunCompiled compiles and runs.
type Case struct {
	Name   string
	Graph  *ir.Graph // optimized as it should be compiled
	Inputs map[string]*ir.Tensor
}

// CaseResult is one case's outputs (in graph-output order), or why it failed.
type CaseResult struct {
	Outputs []*ir.Tensor
	Err     error
}

// RunOptions configure RunCompiled.
type RunOptions struct {
	Precision cpu.Precision // 0: cpu.DefaultPrecision
	Threads   int           // 0: GOMAXPROCS
	// Dir is the directory to make the module in (default: a temporary directory, removed
	// afterwards).
	Dir string
	// Module is the llmc to build against (default: FindModule).
	Module *Requirement
	// Log receives the go tool's output (default: discarded; it is in the error on failure).
	Log io.Writer
}

// RunCompiled compiles each case into a package of a fresh Go module outside any other (the
// way a user's application holds it), builds one program that links them all with the go tool,
// runs every case on its inputs and returns the outputs: what `llmc run --backend compiled`
// does to check the artifact an application links. A case that fails to compile or run gets
// its error; a failure of the go tool fails the whole call.
func RunCompiled(cases []Case, opts RunOptions) ([]CaseResult, error) {
	req := opts.Module
	if req == nil {
		r, err := FindModule()
		if err != nil {
			return nil, err
		}
		req = &r
	}
	dir := opts.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "llmc-compiled-*")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	if err := WriteModule(dir, "llmcrun", *req); err != nil {
		return nil, err
	}
	type job struct {
		Pkg       int
		Dims      []int
		Inputs    []string
		Dir       string
		Precision cpu.Precision
		Threads   int
	}
	prec := opts.Precision
	if prec == 0 {
		prec = cpu.DefaultPrecision
	}
	results := make([]CaseResult, len(cases))
	var imports []string
	var jobs []job
	var caseOf []int
	outTypes := make([][]ir.DType, len(cases))
	for i, c := range cases {
		pkg := fmt.Sprintf("p%d", i)
		res, err := Generate(c.Graph, filepath.Join(dir, pkg), Options{Package: pkg, Source: c.Name, Precision: prec})
		if err != nil {
			results[i].Err = err
			continue
		}
		s := res.Schedule
		shapes := make([][]int64, len(s.Inputs))
		jd := filepath.Join(dir, "jobs", pkg)
		if err := os.MkdirAll(jd, 0o755); err != nil {
			return nil, err
		}
		j := job{Pkg: len(imports), Dir: jd, Precision: prec, Threads: opts.Threads}
		for k, v := range s.Inputs {
			t := c.Inputs[v.Name]
			if t == nil {
				results[i].Err = fmt.Errorf("no input %q", v.Name)
				break
			}
			shapes[k] = t.Shape
			f := filepath.Join(jd, fmt.Sprintf("input_%d.bin", k))
			if err := os.WriteFile(f, t.Raw, 0o644); err != nil {
				return nil, err
			}
			j.Inputs = append(j.Inputs, f)
		}
		if results[i].Err != nil {
			continue
		}
		dims, err := s.DimsOf(shapes)
		if err != nil {
			results[i].Err = err
			continue
		}
		for _, d := range dims {
			j.Dims = append(j.Dims, int(d))
		}
		for _, v := range s.Outputs {
			outTypes[i] = append(outTypes[i], v.DType)
		}
		imports = append(imports, "llmcrun/"+pkg)
		jobs = append(jobs, j)
		caseOf = append(caseOf, i)
	}
	if len(jobs) == 0 {
		return results, nil
	}
	src, err := render("runner.go.tmpl", imports)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "runner"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "runner", "main.go"), src, 0o644); err != nil {
		return nil, err
	}
	if err := runGo(dir, opts.Log, nil, "mod", "tidy"); err != nil {
		return nil, err
	}
	bin := filepath.Join(dir, "runner", "runner")
	if err := runGo(dir, opts.Log, nil, "build", "-o", bin, "./runner"); err != nil {
		return nil, err
	}
	in, _ := json.Marshal(jobs)
	cmd := exec.Command(bin)
	cmd.Stdin = bytes.NewReader(in)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("running the compiled packages: %v\n%s", err, out)
	}
	for n, j := range jobs {
		i := caseOf[n]
		if e, err := os.ReadFile(filepath.Join(j.Dir, "error.txt")); err == nil {
			results[i].Err = errors.New(string(e))
			continue
		}
		var shapes [][]int64
		b, err := os.ReadFile(filepath.Join(j.Dir, "shapes.json"))
		if err == nil {
			err = json.Unmarshal(b, &shapes)
		}
		if err != nil {
			results[i].Err = fmt.Errorf("reading the outputs: %v", err)
			continue
		}
		for k, dt := range outTypes[i] {
			raw, err := os.ReadFile(filepath.Join(j.Dir, fmt.Sprintf("output_%d.bin", k)))
			if err != nil {
				results[i].Err = err
				break
			}
			results[i].Outputs = append(results[i].Outputs, &ir.Tensor{DType: dt, Shape: shapes[k], Raw: raw})
		}
	}
	return results, nil
}

// WriteModule writes go.mod (module path, and llmc as req says) and a go.sum holding llmc's own
// dependency checksums into dir, so that packages compiled into it build offline as they would
// in a user's module after `go get github.com/llmc/llmc`.
func WriteModule(dir, path string, req Requirement) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	mod := fmt.Sprintf("module %s\n\ngo %s\n\n%s", path, goVersion(), req.GoModLines())
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
		return err
	}
	if req.Dir != "" {
		if sum, err := os.ReadFile(filepath.Join(req.Dir, "go.sum")); err == nil {
			return os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644)
		}
	}
	return nil
}

// goVersion is the language version of llmc's go.mod (what compiled packages need).
func goVersion() string {
	v := strings.TrimPrefix(runtime.Version(), "go")
	if i := strings.IndexAny(v, " -"); i >= 0 {
		v = v[:i]
	}
	parts := strings.SplitN(v, ".", 3)
	if len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return v
}

// runGo runs the go command in dir.
func runGo(dir string, log io.Writer, env []string, args ...string) error {
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOFLAGS=-mod=mod"), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if log != nil {
		log.Write(out.Bytes())
	}
	if err != nil {
		return fmt.Errorf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out.String())
	}
	return nil
}
