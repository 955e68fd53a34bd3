// Command bert-classify classifies a token sequence with a BERT compiled by `llmc compile` into
// the Go package ./berttiny (a small 2-layer model with random weights, so the labels are
// illustrative; compile your own fine-tuned model the same way).
//
//	go run ./examples/bert-classify 101 7592 2088 102
package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"

	"github.com/llmc/llmc/examples/bert-classify/berttiny"
)

func main() {
	ids := []int64{101, 7, 42, 99, 310, 102} // [CLS] ... [SEP] in the tiny model's 1024-token vocabulary
	if len(os.Args) > 1 {
		ids = ids[:0]
		for _, a := range os.Args[1:] {
			v, err := strconv.ParseInt(a, 10, 64)
			if err != nil {
				fmt.Fprintf(os.Stderr, "bert-classify: %q is not a token id\n", a)
				os.Exit(2)
			}
			ids = append(ids, v)
		}
	}
	m, err := berttiny.New()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bert-classify:", err)
		os.Exit(1)
	}
	mask := make([]int64, len(ids))
	for i := range mask {
		mask[i] = 1
	}
	out, err := m.Run(context.Background(), berttiny.Inputs{
		Batch: 1, Sequence: len(ids),
		InputIds: ids, AttentionMask: mask, TokenTypeIds: make([]int64, len(ids)),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bert-classify:", err)
		os.Exit(1)
	}
	defer out.Release()
	// softmax over the two labels
	a, b := float64(out.Logits[0]), float64(out.Logits[1])
	mx := math.Max(a, b)
	pa, pb := math.Exp(a-mx), math.Exp(b-mx)
	label := 0
	if b > a {
		label = 1
	}
	fmt.Printf("tokens %v\nlogits [%.6f %.6f]\nlabel %d (p=%.4f)\n", ids, a, b, label, math.Max(pa, pb)/(pa+pb))
}
