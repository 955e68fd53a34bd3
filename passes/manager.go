// Package passes holds llmc's graph optimizer: a pass manager, pipelines -O0…-O2 as data, a
// rewrite-rule driver, and the passes themselves (inference, folding, DCE/CSE, simplification,
// transformer fusions).
package passes

import (
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/llmc/llmc/ir"
)

// Pass transforms a model's main graph in place.
type Pass struct {
	Name string
	Doc  string
	Run  func(c *Context, g *ir.Graph) error
}

// Context is what a pass sees while it runs: where to count rule hits and refusals.
type Context struct {
	Model *ir.Model
	stats *PassStats
	opts  Options
}

// Hit counts one application of a rule.
func (c *Context) Hit(rule string) {
	if c.stats != nil {
		c.stats.Rules[rule]++
	}
}

// Refuse records why a rule that looked at a node did not apply (shown with --stats -v).
func (c *Context) Refuse(rule string, n *ir.Node, reason string) {
	if c.stats == nil || !c.opts.Verbose {
		return
	}
	key := rule + ": " + reason
	if c.stats.Refusals[key] == 0 {
		c.stats.RefusalExample[key] = n.Describe()
	}
	c.stats.Refusals[key]++
}

// Options control a pipeline run.
type Options struct {
	VerifyEach   bool      // run the verifier after every pass and name the pass that broke the graph
	PrintIRAfter string    // pass name, or "all": print the textual IR after it
	PrintTo      io.Writer // where PrintIRAfter writes (default: discarded)
	Verbose      bool      // record rule refusals
}

// PassStats is what one pass did.
type PassStats struct {
	Pass           string
	Duration       time.Duration
	NodesBefore    int
	NodesAfter     int
	Rules          map[string]int
	Refusals       map[string]int
	RefusalExample map[string]string
}

// Report is the outcome of a pipeline run.
type Report struct{ Passes []*PassStats }

// Format renders the report as a table.
func (r *Report) Format(verbose bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-22s %9s %7s %7s  %s\n", "pass", "time", "before", "after", "rules fired")
	var total time.Duration
	for _, p := range r.Passes {
		total += p.Duration
		var rules []string
		for _, k := range sortedKeys(p.Rules) {
			rules = append(rules, fmt.Sprintf("%s×%d", k, p.Rules[k]))
		}
		fmt.Fprintf(&b, "%-22s %9s %7d %7d  %s\n", p.Pass, p.Duration.Round(time.Microsecond), p.NodesBefore, p.NodesAfter, strings.Join(rules, " "))
		if verbose {
			for _, k := range sortedKeys(p.Refusals) {
				fmt.Fprintf(&b, "    refused %s (%d×, e.g. %s)\n", k, p.Refusals[k], p.RefusalExample[k])
			}
		}
	}
	fmt.Fprintf(&b, "total %v\n", total.Round(time.Microsecond))
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// RunPasses applies passes to m's main graph in order. After each pass the graph is re-sorted
// topologically; with VerifyEach it is verified and a failure names the pass. A pass that fails
// or panics stops the run with an error naming it (the graph is then not usable).
func RunPasses(m *ir.Model, ps []Pass, opts Options) (*Report, error) {
	rep := &Report{}
	g := m.Graph
	for _, p := range ps {
		st := &PassStats{Pass: p.Name, NodesBefore: g.NumNodes(), Rules: map[string]int{}, Refusals: map[string]int{}, RefusalExample: map[string]string{}}
		c := &Context{Model: m, stats: st, opts: opts}
		start := time.Now()
		if err := runPass(p, c, g); err != nil {
			return rep, fmt.Errorf("pass %s: %w", p.Name, err)
		}
		if err := g.TopoSort(); err != nil {
			return rep, fmt.Errorf("pass %s left a cycle: %w", p.Name, err)
		}
		st.Duration = time.Since(start)
		st.NodesAfter = g.NumNodes()
		rep.Passes = append(rep.Passes, st)
		if opts.VerifyEach {
			if err := ir.Verify(g); err != nil {
				return rep, fmt.Errorf("the graph is invalid after pass %s: %w", p.Name, err)
			}
		}
		if opts.PrintTo != nil && (opts.PrintIRAfter == "all" || opts.PrintIRAfter == p.Name) {
			fmt.Fprintf(opts.PrintTo, "// IR after %s\n", p.Name)
			_ = ir.PrintModel(opts.PrintTo, m, ir.PrintOptions{ElideConstants: 16})
		}
	}
	return rep, nil
}

// runPass runs one pass, turning a panic (a pass bug on a graph it did not expect) into an error
// that says where it happened. The graph may be half rewritten then: the caller drops it.
func runPass(p Pass, c *Context, g *ir.Graph) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic%s: %v", panicSite(), r)
		}
	}()
	return p.Run(c, g)
}

// panicSite names the function and line that panicked, when called from a deferred recover: the
// first frame after the runtime's panic machinery (" at pkg.fn (file.go:12)"), or "".
func panicSite() string {
	pcs := make([]uintptr, 32)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(2, pcs)])
	inPanic := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			inPanic = true
		case inPanic && !strings.HasPrefix(f.Function, "runtime."):
			return fmt.Sprintf(" at %s (%s:%d)", f.Function, filepath.Base(f.File), f.Line)
		}
		if !more {
			return ""
		}
	}
}

var registry = map[string]Pass{}

// Register adds a pass to the registry (at init).
func Register(p Pass) {
	if _, dup := registry[p.Name]; dup {
		panic("passes: duplicate pass " + p.Name)
	}
	registry[p.Name] = p
}

// Lookup returns the named passes, or an error naming the unknown one.
func Lookup(names ...string) ([]Pass, error) {
	var out []Pass
	for _, n := range names {
		p, ok := registry[n]
		if !ok {
			return nil, fmt.Errorf("unknown pass %q (known: %s)", n, strings.Join(sortedKeys(registry), ", "))
		}
		out = append(out, p)
	}
	return out, nil
}

// Names lists the registered passes.
func Names() []string { return sortedKeys(registry) }
