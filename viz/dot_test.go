package viz

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/llmc/llmc/frontend/onnx"
)

func TestDotBert(t *testing.T) {
	m, err := onnx.Load("../testdata/models/bert-tiny-opset14/model.onnx")
	require.NoError(t, err)
	src := Dot(m.Graph, Options{})
	require.True(t, strings.HasPrefix(src, "digraph"))
	// Constant nodes and initializers are folded into labels: drawn boxes = non-Constant nodes
	// plus the graph's inputs and outputs.
	hist := m.Graph.OpHistogram()
	drawn := m.Graph.NumNodes() - hist["Constant"] + len(m.Graph.Inputs) + len(m.Graph.Outputs)
	nodes := regexp.MustCompile(`(?m)^\s*n\d+\s*\[`).FindAllString(src, -1)
	require.Equal(t, drawn, len(nodes))
	require.Contains(t, src, "cluster", "name scopes become clusters")
	require.Contains(t, src, `label="layer.0"`)
	require.Contains(t, src, "f32[batch,sequence,128]", "edges carry types")
	require.Contains(t, src, CategoryColors["nn"])
	require.NotContains(t, src, "Constant\n")
	flat := Dot(m.Graph, Options{NoClusters: true})
	require.NotContains(t, flat, "cluster")
}
