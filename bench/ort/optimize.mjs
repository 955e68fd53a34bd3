#!/usr/bin/env node
// Saves the graph ONNX Runtime's own optimizer makes of a model (graph optimization level
// "all" on the CPU provider): the form of a model a user may have "optimized for ORT" before
// handing it to llmc. testdata/models/idioms/ort-optimized was made with it (see
// testdata/models/README.md).
//
//   node optimize.mjs MODEL OUT.onnx

import ort from 'onnxruntime-node';

const [src, dst] = process.argv.slice(2);
if (!src || !dst) {
  process.stderr.write('usage: node optimize.mjs MODEL OUT.onnx\n');
  process.exit(2);
}
await ort.InferenceSession.create(src, { graphOptimizationLevel: 'all', optimizedModelFilePath: dst, executionProviders: ['cpu'] });
console.log(`wrote ${dst}`);
