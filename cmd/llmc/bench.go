package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/llmc/llmc/backend/cpu"
	"github.com/llmc/llmc/backend/cpu/plan"
	"github.com/llmc/llmc/frontend/onnx"
	"github.com/llmc/llmc/ir"
	"github.com/llmc/llmc/passes"
)

func init() {
	register(command{name: "bench", summary: "measure a model's latency on the CPU backend", run: runBench})
}

// BenchResult is what `llmc bench --json` prints.
type BenchResult struct {
	Model       string             `json:"model"`
	Batch       int                `json:"batch"`
	Seq         int                `json:"seq"`
	Threads     int                `json:"threads"`
	Iters       int                `json:"iters"`
	CPUPath     string             `json:"cpu_path"`
	Precision   string             `json:"precision"`
	MedianMS    float64            `json:"median_ms"`
	MinMS       float64            `json:"min_ms"`
	P90MS       float64            `json:"p90_ms"`
	SeqPerSec   float64            `json:"sequences_per_s"`
	GFLOPs      float64            `json:"gflop_per_run"`
	GFLOPPerSec float64            `json:"gflop_per_s"`
	PeakRSSMiB  float64            `json:"peak_rss_mib"`
	ArenaMiB    float64            `json:"arena_mib"`
	IntermedMiB float64            `json:"intermediates_mib"`
	Nodes       int                `json:"nodes"`
	ProfileMS   map[string]float64 `json:"profile_ms,omitempty"`
	SamplesMS   []float64          `json:"samples_ms"` // every timed run, in order
}

// benchInputs makes synthetic inputs: for a symbolic dim "batch" or the first dim use batch, for
// other symbolic dims seq; masks are ones, token types zeros, other integers small ids.
func benchInputs(g *ir.Graph, batch, seq int) (map[string]*ir.Tensor, error) {
	rng := rand.New(rand.NewSource(1))
	out := map[string]*ir.Tensor{}
	for _, v := range g.Inputs {
		if v.Type.Kind != ir.KindTensor || !v.Type.Ranked {
			return nil, fmt.Errorf("input %q: bench needs ranked tensor inputs", v.Name)
		}
		dims := make([]int64, len(v.Type.Shape))
		for i, d := range v.Type.Shape {
			switch {
			case d.IsConcrete():
				dims[i] = d.Value
			case i == 0:
				dims[i] = int64(batch)
			default:
				dims[i] = int64(seq)
			}
		}
		t, err := ir.NewTensor(v.Type.DType, dims, 1<<30)
		if err != nil {
			return nil, err
		}
		name := strings.ToLower(v.Name)
		bound := idBound(g, v, 100)
		vals := make([]float64, t.Len())
		for i := range vals {
			switch {
			case strings.Contains(name, "mask"):
				vals[i] = 1
			case strings.Contains(name, "type") || strings.Contains(name, "segment"):
				vals[i] = 0
			case v.Type.DType.IsInt():
				vals[i] = float64(rng.Intn(bound))
			default:
				vals[i] = rng.NormFloat64()
			}
		}
		setValues(t, vals)
		out[v.Name] = t
	}
	return out, nil
}

// idBound returns the smallest table size among the lookups v feeds (Gather's data, an
// EmbedLayerNormalization's word or segment table), following Cast/Reshape/Unsqueeze/Squeeze/
// Flatten, capped at def: ids drawn below it are valid for every table.
func idBound(g *ir.Graph, v *ir.Value, def int) int {
	users := g.ComputeUsers()
	bound := def
	seen := map[*ir.Value]bool{}
	var walk func(x *ir.Value)
	walk = func(x *ir.Value) {
		if seen[x] {
			return
		}
		seen[x] = true
		for _, n := range users.ByValue[x] {
			rows := func(t *ir.Value) {
				if t != nil && t.Const != nil && len(t.Const.Shape) > 0 && t.Const.Shape[0] > 0 {
					bound = min(bound, int(t.Const.Shape[0]))
				}
			}
			switch {
			case n.Domain == "" && n.Op == "Gather" && len(n.Inputs) > 1 && n.Inputs[1] == x:
				rows(n.Inputs[0])
			case n.Domain == ir.MSDomain && n.Op == "EmbedLayerNormalization":
				if n.Input(0) == x {
					rows(n.Input(2))
				}
				if n.Input(1) == x {
					rows(n.Input(4))
				}
			case n.Domain == "" && (n.Op == "Cast" || n.Op == "Reshape" || n.Op == "Unsqueeze" || n.Op == "Squeeze" || n.Op == "Flatten"):
				if n.Inputs[0] == x {
					walk(n.Outputs[0])
				}
			}
		}
	}
	walk(v)
	return max(bound, 1)
}

func setValues(t *ir.Tensor, vals []float64) {
	switch t.DType {
	case ir.Int64:
		for i, x := range vals {
			t.Int64s()[i] = int64(x)
		}
	case ir.Int32:
		for i, x := range vals {
			t.Int32s()[i] = int32(x)
		}
	case ir.Float32:
		for i, x := range vals {
			t.Float32s()[i] = float32(x)
		}
	case ir.Bool:
		for i, x := range vals {
			if x != 0 {
				t.Raw[i] = 1
			}
		}
	}
}

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "MODEL [--batch B] [--seq S] [--threads T] [--iters N] [--precision P] [--json] [--profile] [--cpuprofile FILE]", "Optimizes the model (-O2), plans it for the CPU kernels and times runs on synthetic inputs\n(masks all ones, token types zero, ids below 100 and below every table they index).", stderr)
	batch := fs.Int("batch", 1, "batch size")
	seq := fs.Int("seq", 128, "sequence length (for every symbolic dim but the first)")
	threads := fs.Int("threads", 0, "kernel threads (0: GOMAXPROCS)")
	iters := fs.Int("iters", 20, "timed runs")
	warmup := fs.Int("warmup", 3, "untimed runs first")
	asJSON := fs.Bool("json", false, "print one JSON object")
	profile := fs.Bool("profile", false, "report time per kernel kind")
	cpuProfile := fs.String("cpuprofile", "", "write a Go CPU profile of the timed runs to `file` (go tool pprof)")
	level := fs.Int("O", 2, "optimization `level`")
	precision := precisionFlag(fs, "")
	pos, err := parse(fs, optLevelArgs(args), 1)
	if err != nil {
		return err
	}
	if *batch <= 0 || *seq <= 0 || *iters <= 0 {
		return usagef("--batch, --seq and --iters must be positive")
	}
	m, err := onnx.Load(pos[0])
	if err != nil {
		return err
	}
	if _, err := passes.Optimize(m, *level, passes.Options{}); err != nil {
		return err
	}
	model, err := plan.New(m.Graph, plan.Options{Threads: *threads, Precision: *precision})
	if err != nil {
		return err
	}
	in, err := benchInputs(m.Graph, *batch, *seq)
	if err != nil {
		return err
	}
	p, err := model.PlanFor(in)
	if err != nil {
		return err
	}
	for i := 0; i < *warmup; i++ {
		if _, err := p.Run(in); err != nil {
			return err
		}
	}
	times := make([]float64, *iters)
	kinds := p.StepKinds()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	prof := map[string]float64{}
	for i := range times {
		start := time.Now()
		if *profile {
			last := start
			_, err = p.RunProfiled(in, func(s int) {
				now := time.Now()
				prof[kinds[s]] += float64(now.Sub(last).Microseconds()) / 1000
				last = now
			})
		} else {
			_, err = p.Run(in)
		}
		if err != nil {
			return err
		}
		times[i] = float64(time.Since(start).Microseconds()) / 1000
	}
	sorted := append([]float64{}, times...)
	sort.Float64s(sorted)
	st := p.Stats()
	r := BenchResult{
		Model: pos[0], Batch: *batch, Seq: *seq, Threads: model.Threads(), Iters: *iters, CPUPath: cpu.Path(), Precision: model.Precision().String(),
		MedianMS: sorted[len(sorted)/2], SamplesMS: times, MinMS: sorted[0], P90MS: sorted[(len(sorted)*9)/10],
		GFLOPs: float64(st.FLOPs) / 1e9, PeakRSSMiB: peakRSSMiB(), Nodes: m.Graph.NumNodes(),
		ArenaMiB: float64(st.ArenaBytes) / (1 << 20), IntermedMiB: float64(st.IntermediateBytes) / (1 << 20),
	}
	if len(sorted)%2 == 0 {
		r.MedianMS = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
	}
	r.SeqPerSec = float64(*batch) / (r.MedianMS / 1000)
	r.GFLOPPerSec = r.GFLOPs / (r.MedianMS / 1000)
	if *profile {
		r.ProfileMS = map[string]float64{}
		for k, v := range prof {
			r.ProfileMS[k] = v / float64(*iters)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(stdout, "%s: batch %d, seq %d, %d threads, %s kernels, %s GEMMs, %d nodes\n", pos[0], r.Batch, r.Seq, r.Threads, r.CPUPath, r.Precision, r.Nodes)
	fmt.Fprintf(stdout, "latency   median %.2f ms, min %.2f ms, p90 %.2f ms (%d runs)\n", r.MedianMS, r.MinMS, r.P90MS, r.Iters)
	fmt.Fprintf(stdout, "throughput %.1f sequences/s, %.1f GFLOP/s (%.2f GFLOP per run)\n", r.SeqPerSec, r.GFLOPPerSec, r.GFLOPs)
	fmt.Fprintf(stdout, "memory    arena %.1f MiB for %.1f MiB of intermediates, peak RSS %.0f MiB\n", r.ArenaMiB, r.IntermedMiB, r.PeakRSSMiB)
	if *profile {
		type kv struct {
			k string
			v float64
		}
		var rows []kv
		for k, v := range r.ProfileMS {
			rows = append(rows, kv{k, v})
		}
		sort.Slice(rows, func(i, j int) bool { return rows[i].v > rows[j].v })
		fmt.Fprintf(stdout, "profile (ms per run):\n")
		for _, row := range rows {
			fmt.Fprintf(stdout, "  %-28s %8.2f  %5.1f%%\n", row.k, row.v, 100*row.v/r.MedianMS)
		}
	}
	return nil
}
