//go:build llmcbench

// Command benchcompiled times a bert-base compiled by `llmc compile` into ./bertbase (made by
// `make bench`; not committed) and prints one JSON object like `llmc bench --json`.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"sort"
	"syscall"
	"time"

	"github.com/llmc/llmc/backend/cpu"
	"github.com/llmc/llmc/tools/benchcompiled/bertbase"
)

func main() {
	batch := flag.Int("batch", 1, "batch size")
	seq := flag.Int("seq", 128, "sequence length")
	threads := flag.Int("threads", 0, "kernel threads (0: GOMAXPROCS)")
	iters := flag.Int("iters", 20, "timed runs")
	warmup := flag.Int("warmup", 3, "untimed runs")
	precision := new(cpu.Precision)
	flag.TextVar(precision, "precision", bertbase.DefaultPrecision, "GEMM precision: int8x6, bf16x6, fp32 or bf16x3")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the timed runs to `file`")
	flag.Parse()
	loadStart := time.Now()
	m, err := bertbase.New(bertbase.WithThreads(*threads), bertbase.WithPrecision(*precision))
	load := time.Since(loadStart)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	n := *batch * *seq
	in := bertbase.Inputs{Batch: *batch, Sequence: *seq, InputIds: make([]int64, n), AttentionMask: make([]int64, n), TokenTypeIds: make([]int64, n)}
	for i := range in.InputIds {
		in.InputIds[i] = int64(i*7919) % 1000
		in.AttentionMask[i] = 1
	}
	ctx := context.Background()
	run := func() time.Duration {
		start := time.Now()
		out, err := m.Run(ctx, in)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		d := time.Since(start)
		out.Release()
		return d
	}
	for i := 0; i < *warmup; i++ {
		run()
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	ms := make([]float64, *iters)
	for i := range ms {
		ms[i] = float64(run().Microseconds()) / 1000
	}
	samples := append([]float64(nil), ms...) // in run order
	sort.Float64s(ms)
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"engine": "llmc-compiled", "batch": *batch, "seq": *seq, "threads": *threads, "precision": m.Precision().String(),
		"median_ms": ms[len(ms)/2], "min_ms": ms[0], "p90_ms": ms[len(ms)*9/10],
		"peak_rss_mib": float64(ru.Maxrss) / 1024, "weights_mib": float64(bertbase.WeightsSize) / (1 << 20),
		"samples_ms": samples, "load_ms": float64(load.Microseconds()) / 1000,
	})
}
