package passes

import (
	"fmt"

	"github.com/llmc/llmc/ir"
)

// Rule is a local rewrite: a root op to look at, a matcher that captures the pattern around a
// root node and checks that rewriting is legal (or says why not), and the rewrite itself.
type Rule struct {
	Name   string
	Domain string // root op domain ("" = ONNX)
	Op     string // root op type; "" means any node
	// Match returns the captured pattern, or nil and a reason when the node is refused. A reason
	// of "" means "not a candidate at all" (nothing is recorded).
	Match func(rc *RewriteContext, n *ir.Node) (any, string)
	// Rewrite replaces the pattern. It rewires uses (the old nodes die and DCE removes them).
	Rewrite func(rc *RewriteContext, m any) error
}

// RewriteContext gives rules the graph, its use lists and a namer.
type RewriteContext struct {
	*Context
	G     *ir.Graph
	Users *ir.Users
	Names *ir.Namer
}

// MaxRewriteRounds bounds the fixed-point iteration of RunRules.
const MaxRewriteRounds = 64

// RunRules applies rules to g until none fires (or MaxRewriteRounds sweeps pass), removing dead
// nodes after every rewrite so stale nodes never match. It returns the number of rewrites.
func RunRules(c *Context, g *ir.Graph, rules []Rule) (int, error) {
	rc := &RewriteContext{Context: c, G: g, Names: ir.NewNamer(g)}
	total := 0
	for round := 0; round < MaxRewriteRounds; round++ {
		fired := 0
		rc.Users = g.ComputeUsers()
		alive := map[*ir.Node]bool{}
		for _, n := range g.Nodes {
			alive[n] = true
		}
		nodes := append([]*ir.Node{}, g.Nodes...)
		for _, n := range nodes {
			if !alive[n] {
				continue
			}
			for i := range rules {
				r := &rules[i]
				if r.Op != "" && (n.Op != r.Op || n.Domain != r.Domain) {
					continue
				}
				m, why, err := safeMatch(r, rc, n)
				if err != nil {
					return total, err
				}
				if m == nil {
					if why != "" {
						c.Refuse(r.Name, n, why)
					}
					continue
				}
				if err := safeRewrite(r, rc, m); err != nil {
					return total, fmt.Errorf("rule %s at %s: %w", r.Name, n.Describe(), err)
				}
				c.Hit(r.Name)
				fired++
				g.RemoveDead()
				if err := g.TopoSort(); err != nil {
					return total, fmt.Errorf("rule %s at %s: %w", r.Name, n.Describe(), err)
				}
				rc.Users = g.ComputeUsers()
				alive = map[*ir.Node]bool{}
				for _, k := range g.Nodes {
					alive[k] = true
				}
				if !alive[n] {
					break
				}
			}
		}
		total += fired
		if fired == 0 {
			return total, nil
		}
	}
	return total, fmt.Errorf("rules did not reach a fixed point in %d rounds", MaxRewriteRounds)
}

// safeMatch runs a matcher, turning a panic (a matcher bug on an unexpected graph) into an error
// that names the rule and node.
func safeMatch(r *Rule, rc *RewriteContext, n *ir.Node) (m any, why string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("rule %s crashed matching %s%s: %v", r.Name, n.Describe(), panicSite(), p)
		}
	}()
	m, why = r.Match(rc, n)
	return m, why, nil
}

// safeRewrite runs a rewrite, turning a panic into an error (RunRules adds the rule and node).
func safeRewrite(r *Rule, rc *RewriteContext, m any) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("crashed%s: %v", panicSite(), p)
		}
	}()
	return r.Rewrite(rc, m)
}
