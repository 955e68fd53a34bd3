#!/usr/bin/env node
// ONNX Runtime harness for llmc: cross-check a model's outputs and time it on synthetic BERT inputs.
//
//   node run.mjs crosscheck MODEL INPUT_DIR EXPECTED_DIR [--atol 1e-4] [--rtol 1e-3] [--opt disabled] [--json]
//   node run.mjs bench MODEL --batch B --seq S --threads T --iters N [--warmup W] [--opt all|disabled] [--json]
//
// crosscheck runs with graph optimizations disabled by default, so ORT executes the graph exactly as
// written (our com.microsoft fused ops run as ORT's own contrib kernels). Exit codes: 0 all outputs
// within atol + rtol*|expected|, 1 a mismatch, 2 bad usage or missing files, 3 ORT refused the model
// or failed to run it (its message is printed verbatim).
//
// See bench/README.md.

import fs from 'node:fs';
import path from 'node:path';

const USAGE = `usage:
  node run.mjs crosscheck MODEL INPUT_DIR EXPECTED_DIR [--atol A] [--rtol R] [--opt disabled|basic|extended|all] [--json]
  node run.mjs bench MODEL --batch B --seq S --threads T --iters N [--warmup W] [--opt all|disabled] [--json]`;

function die(code, msg) {
  process.stderr.write(msg.endsWith('\n') ? msg : msg + '\n');
  process.exit(code);
}

async function loadOrt() {
  try {
    return (await import('onnxruntime-node')).default ?? (await import('onnxruntime-node'));
  } catch (e) {
    die(2, `cannot load onnxruntime-node (${e.message.split('\n')[0]}).\n` +
      `Install it first: (cd bench/ort && npm ci --ignore-scripts)`);
  }
}

// ---- argument parsing -------------------------------------------------------------------------

function parseArgs(argv, flagNames, boolFlags) {
  const pos = [];
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const name = a.slice(2);
      if (boolFlags.includes(name)) { flags[name] = true; continue; }
      if (!flagNames.includes(name)) die(2, `unknown flag ${a}\n${USAGE}`);
      if (i + 1 >= argv.length) die(2, `flag ${a} needs a value\n${USAGE}`);
      flags[name] = argv[++i];
    } else {
      pos.push(a);
    }
  }
  return { pos, flags };
}

function intFlag(flags, name, def) {
  if (flags[name] === undefined) {
    if (def === undefined) die(2, `missing --${name}\n${USAGE}`);
    return def;
  }
  const v = Number(flags[name]);
  if (!Number.isInteger(v) || v < 0) die(2, `--${name} must be a non-negative integer, got ${flags[name]}`);
  return v;
}

const OPT_LEVELS = ['disabled', 'basic', 'extended', 'all'];
function optFlag(flags, def) {
  const v = flags.opt ?? def;
  if (!OPT_LEVELS.includes(v)) die(2, `--opt must be one of ${OPT_LEVELS.join('|')}, got ${v}`);
  return v;
}

// ---- a minimal onnx.TensorProto decoder -------------------------------------------------------
// Field numbers from onnx.proto: 1 dims (int64, repeated), 2 data_type, 4 float_data, 5 int32_data,
// 7 int64_data, 8 name, 9 raw_data, 10 double_data, 11 uint64_data, 14 data_location.

// element type: [ORT type name, typed array constructor, bytes per element]
const DTYPES = {
  1: ['float32', Float32Array, 4],
  2: ['uint8', Uint8Array, 1],
  3: ['int8', Int8Array, 1],
  4: ['uint16', Uint16Array, 2],
  5: ['int16', Int16Array, 2],
  6: ['int32', Int32Array, 4],
  7: ['int64', BigInt64Array, 8],
  9: ['bool', Uint8Array, 1],
  11: ['float64', Float64Array, 8],
  12: ['uint32', Uint32Array, 4],
  13: ['uint64', BigUint64Array, 8],
};

class Reader {
  constructor(buf) { this.buf = buf; this.pos = 0; }
  done() { return this.pos >= this.buf.length; }
  varint() { // as BigInt: int64 values need all 64 bits
    let result = 0n, shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  }
  bytes() {
    const n = Number(this.varint());
    if (this.pos + n > this.buf.length) throw new Error('truncated length-delimited field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  skip(wire) {
    switch (wire) {
      case 0: this.varint(); break;
      case 1: this.pos += 8; break;
      case 2: this.bytes(); break;
      case 5: this.pos += 4; break;
      default: throw new Error(`unsupported wire type ${wire}`);
    }
  }
}

// Reads a repeated scalar field that may be packed (wire 2) or not; pushes numbers/BigInts into out.
function readRepeated(r, wire, kind, out) {
  const one = (rr) => {
    switch (kind) {
      case 'varint': return rr.varint();
      case 'f32': { const v = Buffer.from(rr.buf.buffer, rr.buf.byteOffset + rr.pos, 4).readFloatLE(0); rr.pos += 4; return v; }
      case 'f64': { const v = Buffer.from(rr.buf.buffer, rr.buf.byteOffset + rr.pos, 8).readDoubleLE(0); rr.pos += 8; return v; }
    }
  };
  if (wire === 2) {
    const sub = new Reader(r.bytes());
    while (!sub.done()) out.push(one(sub));
  } else {
    out.push(one(r));
  }
}

function decodeTensorProto(buf, file) {
  const r = new Reader(buf);
  const t = { dims: [], dataType: 0, name: '', raw: null, floats: [], int32s: [], int64s: [], doubles: [], uint64s: [] };
  while (!r.done()) {
    const key = Number(r.varint());
    const field = key >>> 3, wire = key & 7;
    switch (field) {
      case 1: { const d = []; readRepeated(r, wire, 'varint', d); t.dims.push(...d.map((x) => Number(BigInt.asIntN(64, x)))); break; }
      case 2: t.dataType = Number(r.varint()); break;
      case 4: readRepeated(r, wire, 'f32', t.floats); break;
      case 5: readRepeated(r, wire, 'varint', t.int32s); break;
      case 7: readRepeated(r, wire, 'varint', t.int64s); break;
      case 8: t.name = Buffer.from(r.bytes()).toString('utf8'); break;
      case 9: t.raw = r.bytes(); break;
      case 10: readRepeated(r, wire, 'f64', t.doubles); break;
      case 11: readRepeated(r, wire, 'varint', t.uint64s); break;
      case 13: throw new Error(`${file}: external data is not supported`);
      default: r.skip(wire);
    }
  }
  const dt = DTYPES[t.dataType];
  if (!dt) throw new Error(`${file}: unsupported TensorProto data_type ${t.dataType}`);
  const [ortType, Ctor, size] = dt;
  const count = t.dims.reduce((a, b) => a * b, 1);
  let data;
  if (t.raw) {
    if (t.raw.length !== count * size) throw new Error(`${file}: raw_data has ${t.raw.length} bytes, want ${count}*${size} for dims [${t.dims}]`);
    const copy = new Uint8Array(t.raw); // aligned copy
    data = new Ctor(copy.buffer, 0, count);
  } else {
    data = new Ctor(count);
    let src;
    switch (t.dataType) {
      case 1: src = t.floats; break;
      case 7: src = t.int64s.map((x) => BigInt.asIntN(64, x)); break;
      case 13: src = t.uint64s; break;
      case 11: src = t.doubles; break;
      case 12: src = t.uint64s.map(Number); break;
      default: src = t.int32s.map((x) => Number(BigInt.asIntN(32, x))); break; // int32, int16, int8, uint*, bool
    }
    if (src.length !== count) throw new Error(`${file}: ${src.length} values, want ${count} for dims [${t.dims}]`);
    for (let i = 0; i < count; i++) data[i] = src[i];
  }
  return { name: t.name, dims: t.dims, type: ortType, data };
}

function readTensors(dir, prefix) {
  if (!fs.existsSync(dir)) die(2, `no such directory: ${dir}`);
  const files = fs.readdirSync(dir)
    .map((f) => f.match(new RegExp(`^${prefix}_(\\d+)\\.pb$`)))
    .filter(Boolean)
    .sort((a, b) => Number(a[1]) - Number(b[1]));
  if (files.length === 0) die(2, `no ${prefix}_N.pb files in ${dir}`);
  return files.map((m, i) => {
    if (Number(m[1]) !== i) die(2, `${dir}: ${prefix}_${i}.pb is missing`);
    const file = path.join(dir, m[0]);
    return decodeTensorProto(new Uint8Array(fs.readFileSync(file)), file);
  });
}

// ---- sessions -----------------------------------------------------------------------------------

async function createSession(ort, model, opt, threads) {
  if (!fs.existsSync(model)) die(2, `no such model: ${model}`);
  const options = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: opt,
    executionMode: 'sequential',
    interOpNumThreads: 1,
    logSeverityLevel: 3,
  };
  if (threads) options.intraOpNumThreads = threads;
  try {
    return await ort.InferenceSession.create(model, options);
  } catch (e) {
    die(3, `ORT error loading ${model}:\n${e.message}`);
  }
}

async function runSession(session, feeds, model) {
  try {
    return await session.run(feeds);
  } catch (e) {
    die(3, `ORT error running ${model}:\n${e.message}`);
  }
}

// ---- crosscheck ---------------------------------------------------------------------------------

async function crosscheck(argv) {
  const { pos, flags } = parseArgs(argv, ['atol', 'rtol', 'opt'], ['json']);
  if (pos.length !== 3) die(2, USAGE);
  const [model, inputDir, expectedDir] = pos;
  const atol = Number(flags.atol ?? 1e-4), rtol = Number(flags.rtol ?? 1e-3);
  const opt = optFlag(flags, 'disabled');
  const ort = await loadOrt();
  const inputs = readTensors(inputDir, 'input');
  const expected = readTensors(expectedDir, 'output');
  const session = await createSession(ort, model, opt, 0);

  if (inputs.length !== session.inputNames.length) {
    die(2, `${inputDir} has ${inputs.length} inputs, model ${model} takes ${session.inputNames.length} (${session.inputNames.join(', ')})`);
  }
  const feeds = {};
  inputs.forEach((t, i) => {
    // Bind by the tensor's own name when it names a model input, else by position.
    const name = session.inputNames.includes(t.name) ? t.name : session.inputNames[i];
    feeds[name] = new ort.Tensor(t.type, t.data, t.dims);
  });
  const results = await runSession(session, feeds, model);

  if (expected.length > session.outputNames.length) {
    die(2, `${expectedDir} has ${expected.length} outputs, model ${model} has ${session.outputNames.length}`);
  }
  let ok = true, worstAbs = 0, worstRel = 0;
  const report = [];
  expected.forEach((want, i) => {
    const name = session.outputNames[i];
    const got = results[name];
    const line = { output: i, name, max_abs: 0, max_rel: 0, bad: 0, ok: true };
    const gotDims = Array.from(got.dims).map(Number);
    if (gotDims.join(',') !== want.dims.join(',')) {
      line.ok = false; line.error = `shape [${gotDims}] != expected [${want.dims}]`;
    } else if (got.data.length !== want.data.length) {
      line.ok = false; line.error = `${got.data.length} elements != expected ${want.data.length}`;
    } else {
      for (let k = 0; k < want.data.length; k++) {
        const g = Number(got.data[k]), w = Number(want.data[k]);
        if (Number.isNaN(g) || Number.isNaN(w)) {
          if (Number.isNaN(g) !== Number.isNaN(w)) { line.bad++; line.max_abs = Infinity; }
          continue;
        }
        const abs = Math.abs(g - w);
        const rel = abs / Math.max(Math.abs(w), 1e-12);
        if (abs > line.max_abs) line.max_abs = abs;
        if (rel > line.max_rel) line.max_rel = rel;
        if (!(abs <= atol + rtol * Math.abs(w))) line.bad++;
      }
      if (line.bad > 0) { line.ok = false; line.error = `${line.bad} of ${want.data.length} elements beyond atol ${atol} + rtol ${rtol}`; }
    }
    ok &&= line.ok;
    worstAbs = Math.max(worstAbs, line.max_abs);
    worstRel = Math.max(worstRel, line.max_rel);
    report.push(line);
  });

  if (flags.json) {
    console.log(JSON.stringify({ ok, max_abs: worstAbs, max_rel: worstRel, atol, rtol, opt, outputs: report }));
  } else {
    for (const l of report) {
      console.log(`output ${l.output} ${l.name}: max_abs ${l.max_abs.toExponential(3)} max_rel ${l.max_rel.toExponential(3)} ${l.ok ? 'ok' : 'MISMATCH: ' + l.error}`);
    }
    console.log(`${ok ? 'PASS' : 'FAIL'} max_abs ${worstAbs.toExponential(3)} max_rel ${worstRel.toExponential(3)} (atol ${atol}, rtol ${rtol}, ORT opt ${opt})`);
  }
  process.exit(ok ? 0 : 1);
}

// ---- bench --------------------------------------------------------------------------------------

async function bench(argv) {
  const { pos, flags } = parseArgs(argv, ['batch', 'seq', 'threads', 'iters', 'warmup', 'opt'], ['json']);
  if (pos.length !== 1) die(2, USAGE);
  const model = pos[0];
  const batch = intFlag(flags, 'batch'), seq = intFlag(flags, 'seq');
  const threads = intFlag(flags, 'threads'), iters = intFlag(flags, 'iters');
  const warmup = intFlag(flags, 'warmup', 3);
  const opt = optFlag(flags, 'all');
  if (batch < 1 || seq < 1 || threads < 1 || iters < 1) die(2, '--batch, --seq, --threads and --iters must be >= 1');
  const ort = await loadOrt();
  const session = await createSession(ort, model, opt, threads);

  // Synthetic BERT inputs, bound by name (models take 2 or 3 int64 inputs).
  const n = batch * seq;
  let seed = 12345; // deterministic LCG so runs are comparable
  const ids = new BigInt64Array(n);
  for (let i = 0; i < n; i++) { seed = (seed * 1103515245 + 12345) % 2147483648; ids[i] = BigInt(seed % 1000); }
  const feeds = {};
  for (const name of session.inputNames) {
    let data;
    if (/input_ids|^ids$/.test(name)) data = ids;
    else if (/mask/.test(name)) data = new BigInt64Array(n).fill(1n);
    else if (/token_type|segment/.test(name)) data = new BigInt64Array(n);
    else die(2, `bench: don't know how to fill model input "${name}" (expected input_ids, attention_mask, token_type_ids)`);
    feeds[name] = new ort.Tensor('int64', data, [batch, seq]);
  }

  for (let i = 0; i < warmup; i++) await runSession(session, feeds, model);
  const times = [];
  for (let i = 0; i < iters; i++) {
    const t0 = process.hrtime.bigint();
    await runSession(session, feeds, model);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const pick = (q) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)];
  const median = times.length % 2 ? times[(times.length - 1) / 2] : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
  const round = (x) => Math.round(x * 1000) / 1000;
  const result = {
    engine: 'onnxruntime', version: ort.env?.versions?.common ?? '1.30.0', model,
    median_ms: round(median), min_ms: round(times[0]), p90_ms: round(pick(0.9)),
    batch, seq, threads, iters, warmup, opt,
  };
  if (flags.json) console.log(JSON.stringify(result));
  else console.log(`onnxruntime ${path.basename(path.dirname(model))}/${path.basename(model)} batch ${batch} seq ${seq} threads ${threads} opt ${opt}: median ${result.median_ms} ms, min ${result.min_ms} ms, p90 ${result.p90_ms} ms (${iters} iters)`);
}

// ---- main ---------------------------------------------------------------------------------------

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'crosscheck') await crosscheck(rest);
else if (cmd === 'bench') await bench(rest);
else die(2, USAGE);
