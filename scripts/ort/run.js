#!/usr/bin/env node
'use strict';
// Run an ONNX model with ONNX Runtime (npm onnxruntime-node) on .npy inputs.
// qnt uses it as a reference for outputs and as a speed peer.
//
// Modes:
//   node run.js info    --model M.onnx
//       prints a JSON description of the model's inputs and outputs
//   node run.js run     --model M.onnx --input NAME=FILE.npy ... --out-dir DIR
//       runs once; writes every output to DIR/<sanitized output name>.npy and
//       prints JSON {outputs: {outputName: file}, seconds}
//   node run.js dataset --model M.onnx --input NAME=FILE.npy ... --out-dir DIR [--batch B]
//       slices every input along axis 0 into batches of B (default: the
//       model's fixed batch size, else 256), runs them in order and writes
//       the concatenated outputs like `run`
//   node run.js bench   --model M.onnx --input NAME=FILE.npy ... [--warmup 10] [--iters 100]
//       times session.run on the same inputs; prints JSON with median_ms etc.
// Common options:
//   --threads N      intraOpNumThreads (default 1); interOpNumThreads is 1
//   --opt-level L    graphOptimizationLevel: disabled|basic|extended|all (default all)
//   --optimized-model F  also write the graph onnxruntime optimized to F
//                    (which ops it fused, e.g. QLinearConv for a QDQ model)
//   --ort-dir DIR    directory holding node_modules/onnxruntime-node
//                    (default $QNT_ORT_DIR, else $QNT_CACHE/npm, else <repo>/build/npm)
//
// Exit status: 0 on success, 1 on any error (message on stderr), 2 on bad usage.

const fs = require('fs');
const path = require('path');
const { readNpy, writeNpy } = require('./npy');

const REPO = path.resolve(__dirname, '..', '..');

// Same rule as scripts/install-ort.sh.
function defaultOrtDir() {
  if (process.env.QNT_ORT_DIR) return process.env.QNT_ORT_DIR;
  if (process.env.QNT_CACHE) return path.join(process.env.QNT_CACHE, 'npm');
  return path.join(REPO, 'build', 'npm');
}

function usage(msg) {
  process.stderr.write(`run.js: ${msg}\n` +
    'usage: node run.js {info|run|dataset|bench} --model M.onnx [--input NAME=FILE.npy]... ' +
    '[--out-dir DIR] [--batch B] [--threads N] [--warmup W] [--iters N] [--opt-level L] [--optimized-model F] [--ort-dir DIR]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const mode = argv[0];
  if (!['info', 'run', 'dataset', 'bench'].includes(mode)) usage(`unknown mode '${mode}'`);
  const opts = {
    mode, model: null, inputs: [], outDir: null, batch: null, threads: 1,
    warmup: 10, iters: 100, optLevel: 'all', optimizedModel: null,
    ortDir: defaultOrtDir(),
  };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    const int = (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) usage(`${a} needs a non-negative integer, got '${v}'`);
      return n;
    };
    switch (a) {
      case '--model': opts.model = next(); break;
      case '--input': {
        const v = next();
        const eq = v.lastIndexOf('=');
        if (eq <= 0) usage(`--input needs NAME=FILE.npy, got '${v}'`);
        opts.inputs.push([v.slice(0, eq), v.slice(eq + 1)]);
        break;
      }
      case '--out-dir': opts.outDir = next(); break;
      case '--batch': opts.batch = int(next()); break;
      case '--threads': opts.threads = int(next()); break;
      case '--warmup': opts.warmup = int(next()); break;
      case '--iters': opts.iters = int(next()); break;
      case '--opt-level': opts.optLevel = next(); break;
      case '--ort-dir': opts.ortDir = next(); break;
      case '--optimized-model': opts.optimizedModel = next(); break;
      default: usage(`unknown argument '${a}'`);
    }
  }
  if (!opts.model) usage('--model is required');
  if ((opts.mode === 'run' || opts.mode === 'dataset') && !opts.outDir) usage('--out-dir is required');
  if (opts.mode === 'bench' && opts.iters < 1) usage('--iters must be at least 1');
  if (opts.batch === 0) usage('--batch must be at least 1');
  return opts;
}

function loadOrt(dir) {
  const mod = path.join(dir, 'node_modules', 'onnxruntime-node');
  if (!fs.existsSync(mod)) {
    throw new Error(`onnxruntime-node not found in ${mod}: run scripts/install-ort.sh ` +
      '(or set QNT_ORT_DIR / --ort-dir)');
  }
  return require(mod);
}

function sanitize(name) {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

function describe(session) {
  const meta = (list, names) => names.map((name, i) => {
    const m = list ? list[i] : undefined;
    return m && m.isTensor ? { name, type: m.type, shape: m.shape } : { name };
  });
  return {
    inputs: meta(session.inputMetadata, session.inputNames),
    outputs: meta(session.outputMetadata, session.outputNames),
  };
}

function loadInputs(opts, session) {
  const feeds = {};
  for (const [name, file] of opts.inputs) {
    if (!session.inputNames.includes(name)) {
      throw new Error(`model has no input '${name}' (inputs: ${session.inputNames.join(', ')})`);
    }
    feeds[name] = readNpy(file);
  }
  for (const name of session.inputNames) {
    if (!(name in feeds)) throw new Error(`no --input given for model input '${name}'`);
  }
  return feeds;
}

function toTensors(ort, arrays) {
  const t = {};
  for (const [name, a] of Object.entries(arrays)) t[name] = new ort.Tensor(a.type, a.data, a.shape);
  return t;
}

function writeOutputs(outDir, results) {
  fs.mkdirSync(outDir, { recursive: true });
  const written = {};
  const used = new Set();
  for (const [name, r] of Object.entries(results)) {
    let base = sanitize(name);
    for (let k = 1; used.has(base); k++) base = `${sanitize(name)}_${k}`;
    used.add(base);
    const file = path.join(outDir, `${base}.npy`);
    writeNpy(file, r.type, r.data, r.shape);
    written[name] = file;
  }
  return written;
}

function defaultBatch(session) {
  const m = session.inputMetadata && session.inputMetadata[0];
  if (m && m.isTensor && m.shape.length > 0 && typeof m.shape[0] === 'number' && m.shape[0] > 0) {
    return m.shape[0];
  }
  return 256;
}

async function runDataset(ort, session, arrays, batch) {
  const names = Object.keys(arrays);
  const n = arrays[names[0]].shape[0];
  for (const name of names) {
    if (arrays[name].shape.length === 0 || arrays[name].shape[0] !== n) {
      throw new Error(`dataset inputs disagree on their first dimension (${name})`);
    }
  }
  const chunks = {};
  for (let start = 0; start < n; start += batch) {
    const b = Math.min(batch, n - start);
    const feeds = {};
    for (const name of names) {
      const a = arrays[name];
      const per = a.shape.slice(1).reduce((x, y) => x * y, 1);
      feeds[name] = new ort.Tensor(a.type, a.data.subarray(start * per, (start + b) * per),
        [b, ...a.shape.slice(1)]);
    }
    const out = await session.run(feeds);
    for (const [oname, t] of Object.entries(out)) {
      if (t.dims.length === 0 || t.dims[0] !== b) {
        throw new Error(`output '${oname}' has shape [${t.dims}], not batched along axis 0`);
      }
      (chunks[oname] = chunks[oname] || []).push(t);
    }
  }
  const results = {};
  for (const [oname, ts] of Object.entries(chunks)) {
    const total = ts.reduce((s, t) => s + t.data.length, 0);
    const Ctor = ts[0].data.constructor;
    const data = new Ctor(total);
    let off = 0;
    for (const t of ts) { data.set(t.data, off); off += t.data.length; }
    results[oname] = { type: ts[0].type, data, shape: [n, ...ts[0].dims.slice(1)] };
  }
  return results;
}

async function bench(session, tensors, warmup, iters) {
  for (let i = 0; i < warmup; i++) await session.run(tensors);
  const times = [];
  for (let i = 0; i < iters; i++) {
    const t0 = process.hrtime.bigint();
    await session.run(tensors);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const median = sorted.length % 2
    ? sorted[(sorted.length - 1) / 2]
    : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  return {
    median_ms: median,
    min_ms: sorted[0],
    p90_ms: q(0.9),
    mean_ms: times.reduce((a, b) => a + b, 0) / times.length,
    warmup,
    iters,
  };
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const ort = loadOrt(opts.ortDir);
  const session = await ort.InferenceSession.create(opts.model, {
    intraOpNumThreads: opts.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: opts.optLevel,
    executionProviders: ['cpu'],
    logSeverityLevel: 3,
    ...(opts.optimizedModel ? { optimizedModelFilePath: opts.optimizedModel } : {}),
  });
  if (opts.mode === 'info') {
    process.stdout.write(`${JSON.stringify(describe(session))}\n`);
    return;
  }
  const arrays = loadInputs(opts, session);
  if (opts.mode === 'run') {
    const t0 = process.hrtime.bigint();
    const out = await session.run(toTensors(ort, arrays));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const results = {};
    for (const [name, t] of Object.entries(out)) results[name] = { type: t.type, data: t.data, shape: t.dims };
    const written = writeOutputs(opts.outDir, results);
    process.stdout.write(`${JSON.stringify({ outputs: written, seconds })}\n`);
  } else if (opts.mode === 'dataset') {
    const batch = opts.batch || defaultBatch(session);
    const t0 = process.hrtime.bigint();
    const results = await runDataset(ort, session, arrays, batch);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const written = writeOutputs(opts.outDir, results);
    process.stdout.write(`${JSON.stringify({ outputs: written, batch, seconds })}\n`);
  } else {
    const r = await bench(session, toTensors(ort, arrays), opts.warmup, opts.iters);
    r.threads = opts.threads;
    r.model = opts.model;
    process.stdout.write(`${JSON.stringify(r)}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`run.js: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
