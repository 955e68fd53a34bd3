package lower

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/llmc/llmc/ir"
)

// Expr is an integer polynomial in the model's dim symbols: a dimension, an element count, a
// byte count or a kernel argument that is known at compile time up to the dims bound at run
// time (batch, sequence, ...). The zero Expr is 0. Exprs are values: operations return new ones.
type Expr struct {
	terms []term // sorted by key (the constant last), no zero coefficients
}

// term is coef·s1·s2·…, syms sorted (a symbol repeats for its powers).
type term struct {
	coef int64
	syms []string
}

func (t term) key() string { return strings.Join(t.syms, "*") }

// Const returns the constant c.
func Const(c int64) Expr {
	if c == 0 {
		return Expr{}
	}
	return Expr{terms: []term{{coef: c}}}
}

// Sym returns the symbol s.
func Sym(s string) Expr { return Expr{terms: []term{{coef: 1, syms: []string{s}}}} }

// DimExpr converts an IR dim: concrete dims are constants, symbolic dims products of symbols
// (ir.Dim.Factors: "batch*sequence"). ok is false for unknown dims.
func DimExpr(d ir.Dim) (Expr, bool) {
	coef, syms, ok := d.Factors()
	if !ok {
		return Expr{}, false
	}
	e := Const(coef)
	for _, s := range syms {
		e = e.Mul(Sym(s))
	}
	return e, true
}

// Value returns the constant value of e; ok is false when e has symbols.
func (e Expr) Value() (int64, bool) {
	switch len(e.terms) {
	case 0:
		return 0, true
	case 1:
		if len(e.terms[0].syms) == 0 {
			return e.terms[0].coef, true
		}
	}
	return 0, false
}

// IsConst reports whether e has no symbols.
func (e Expr) IsConst() bool { _, ok := e.Value(); return ok }

// Equal reports whether e and f are the same polynomial.
func (e Expr) Equal(f Expr) bool {
	if len(e.terms) != len(f.terms) {
		return false
	}
	for i := range e.terms {
		if e.terms[i].coef != f.terms[i].coef || e.terms[i].key() != f.terms[i].key() {
			return false
		}
	}
	return true
}

func normalize(ts []term) Expr {
	// by monomial, the constant term last (so that sizes read batch*sequence*768 + 64)
	sort.Slice(ts, func(i, j int) bool {
		ki, kj := ts[i].key(), ts[j].key()
		if (ki == "") != (kj == "") {
			return kj == ""
		}
		return ki < kj
	})
	out := ts[:0]
	for _, t := range ts {
		if n := len(out); n > 0 && out[n-1].key() == t.key() {
			out[n-1].coef += t.coef
			continue
		}
		out = append(out, t)
	}
	res := out[:0]
	for _, t := range out {
		if t.coef != 0 {
			res = append(res, t)
		}
	}
	if len(res) == 0 {
		return Expr{}
	}
	return Expr{terms: res}
}

// Add returns e + f.
func (e Expr) Add(f Expr) Expr {
	ts := make([]term, 0, len(e.terms)+len(f.terms))
	ts = append(ts, e.terms...)
	ts = append(ts, f.terms...)
	return normalize(ts)
}

// Sub returns e - f.
func (e Expr) Sub(f Expr) Expr { return e.Add(f.Scale(-1)) }

// Scale returns c·e.
func (e Expr) Scale(c int64) Expr {
	ts := make([]term, 0, len(e.terms))
	for _, t := range e.terms {
		ts = append(ts, term{coef: t.coef * c, syms: t.syms})
	}
	return normalize(ts)
}

// Mul returns e·f.
func (e Expr) Mul(f Expr) Expr {
	ts := make([]term, 0, len(e.terms)*len(f.terms))
	for _, a := range e.terms {
		for _, b := range f.terms {
			syms := append(append(make([]string, 0, len(a.syms)+len(b.syms)), a.syms...), b.syms...)
			sort.Strings(syms)
			ts = append(ts, term{coef: a.coef * b.coef, syms: syms})
		}
	}
	return normalize(ts)
}

// Product multiplies es (1 for none).
func Product(es ...Expr) Expr {
	p := Const(1)
	for _, e := range es {
		p = p.Mul(e)
	}
	return p
}

// DivExact returns e/c when c divides every coefficient of e.
func (e Expr) DivExact(c int64) (Expr, bool) {
	if c == 0 {
		return Expr{}, false
	}
	ts := make([]term, 0, len(e.terms))
	for _, t := range e.terms {
		if t.coef%c != 0 {
			return Expr{}, false
		}
		ts = append(ts, term{coef: t.coef / c, syms: t.syms})
	}
	return normalize(ts), true
}

// Syms lists the symbols e uses, sorted.
func (e Expr) Syms() []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range e.terms {
		for _, s := range t.syms {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Eval evaluates e with the symbols' values from dim. It fails on an unbound symbol or an
// overflow of int64.
func (e Expr) Eval(dim func(sym string) (int64, bool)) (int64, error) {
	var sum int64
	for _, t := range e.terms {
		p := t.coef
		for _, s := range t.syms {
			v, ok := dim(s)
			if !ok {
				return 0, fmt.Errorf("dim %q is not bound", s)
			}
			if v != 0 && (p > math.MaxInt64/abs64(v) || p < -math.MaxInt64/abs64(v)) {
				return 0, fmt.Errorf("%s overflows int64", e)
			}
			p *= v
		}
		if (p > 0 && sum > math.MaxInt64-p) || (p < 0 && sum < math.MinInt64-p) {
			return 0, fmt.Errorf("%s overflows int64", e)
		}
		sum += p
	}
	return sum, nil
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// String renders e with the symbols as they are named (batch*sequence*768 + 4).
func (e Expr) String() string { return e.Format(func(s string) string { return s }) }

// Format renders e as an expression over the names name(sym) gives, in the syntax Go and C share
// (a*b*3 + c); constants come last in a product so that a product of ints reads naturally.
func (e Expr) Format(name func(sym string) string) string {
	if len(e.terms) == 0 {
		return "0"
	}
	var b strings.Builder
	for i, t := range e.terms {
		c := t.coef
		if i > 0 {
			if c < 0 {
				b.WriteString(" - ")
				c = -c
			} else {
				b.WriteString(" + ")
			}
		}
		var parts []string
		for _, s := range t.syms {
			parts = append(parts, name(s))
		}
		if c != 1 || len(parts) == 0 {
			if c == -1 && len(parts) > 0 {
				parts[0] = "-" + parts[0]
			} else {
				parts = append(parts, strconv.FormatInt(c, 10))
			}
		}
		b.WriteString(strings.Join(parts, "*"))
	}
	return b.String()
}

// FormatChecked renders e as a Go expression that cannot overflow silently, for sizes: products
// and sums go through mul and add (codegen/rt's SizeMul and SizeAdd, which give -1 on overflow).
// Negative coefficients are not expected in sizes; Format is used for them.
func (e Expr) FormatChecked(name func(sym string) string, mul, add string) string {
	if len(e.terms) == 0 {
		return "0"
	}
	var terms []string
	for _, t := range e.terms {
		if t.coef < 0 {
			return e.Format(name)
		}
		var parts []string
		for _, s := range t.syms {
			parts = append(parts, name(s))
		}
		if t.coef != 1 || len(parts) == 0 {
			parts = append(parts, strconv.FormatInt(t.coef, 10))
		}
		if len(parts) == 1 {
			terms = append(terms, parts[0])
		} else {
			terms = append(terms, mul+"("+strings.Join(parts, ", ")+")")
		}
	}
	if len(terms) == 1 {
		return terms[0]
	}
	return add + "(" + strings.Join(terms, ", ") + ")"
}

// ShapeExprs converts an IR shape; ok is false when a dim is unknown.
func ShapeExprs(s ir.Shape) ([]Expr, bool) {
	out := make([]Expr, len(s))
	for i, d := range s {
		e, ok := DimExpr(d)
		if !ok {
			return nil, false
		}
		out[i] = e
	}
	return out, true
}

// equalShapes reports whether two shapes are the same polynomials dim by dim.
func equalShapes(a, b []Expr) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}
