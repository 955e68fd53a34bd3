package cpu

import (
	"fmt"
	"strconv"
	"strings"
)

// Precision is how the GEMMs with constant weights run. It is the one precision type of llmc:
// the CLI's --precision flags, the execution plan, the lowering and compiled packages' New all
// take it.
type Precision int

const (
	// FP32: the float32 FMA kernels (AVX-512, AVX2, NEON or Go).
	FP32 Precision = 1
	// BF16x3: AMX-BF16 tiles, two bfloat16 per float32 (16 significant bits), three products:
	// ~1e-5 relative error, up to 5 times the float32 FMA peak.
	BF16x3 Precision = 2
	// BF16x6: AMX-BF16 tiles, each float32 split exactly into three bfloat16 (all its 24 bits)
	// and the six significant products summed: float32-class accuracy value by value.
	BF16x6 Precision = 3
	// INT8x6: AMX-INT8 tiles, each row of A and column of B scaled to a largest magnitude of
	// 127 and split into three int8 slices (24 bits of the row's or column's largest value),
	// six exact integer products: float32-class accuracy, half the tile work and half the
	// weight bytes of BF16x6.
	INT8x6 Precision = 4
)

// DefaultPrecision is the precision used when none is asked for. The AMX precisions run the
// float32 kernels on CPUs without AMX (AMXSupports).
const DefaultPrecision = INT8x6

// Precisions lists every precision, the default first.
func Precisions() []Precision { return []Precision{INT8x6, BF16x6, FP32, BF16x3} }

// String returns the precision's name as the flags spell it.
func (p Precision) String() string {
	switch p {
	case FP32:
		return "fp32"
	case BF16x3:
		return "bf16x3"
	case BF16x6:
		return "bf16x6"
	case INT8x6:
		return "int8x6"
	}
	return "Precision(" + strconv.Itoa(int(p)) + ")"
}

// AMX reports whether p is an AMX precision.
func (p Precision) AMX() bool { return p == BF16x3 || p == BF16x6 || p == INT8x6 }

// ParsePrecision parses a precision name (int8x6, bf16x6, fp32 or bf16x3).
func ParsePrecision(s string) (Precision, error) {
	for _, p := range Precisions() {
		if strings.EqualFold(s, p.String()) {
			return p, nil
		}
	}
	names := make([]string, 0, 4)
	for _, p := range Precisions() {
		names = append(names, p.String())
	}
	return 0, fmt.Errorf("unknown precision %q (want %s)", s, strings.Join(names, ", "))
}

// MarshalText implements encoding.TextMarshaler (flag.TextVar, JSON).
func (p Precision) MarshalText() ([]byte, error) {
	if p.String() == "" || strings.HasPrefix(p.String(), "Precision(") {
		return nil, fmt.Errorf("invalid precision %d", int(p))
	}
	return []byte(p.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *Precision) UnmarshalText(b []byte) error {
	q, err := ParsePrecision(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// Effective is the precision GEMMs really run at on this CPU: p where the CPU supports it, FP32
// for an AMX precision without the AMX unit it needs.
func (p Precision) Effective() Precision {
	if p.AMX() && !AMXSupports(p) {
		return FP32
	}
	return p
}
