// SPDX-License-Identifier: GPL-3.0-or-later
// ort_time.js: onnxruntime's CPU time for one model, for the benchmark.
//   node ort_time.js MODEL.onnx C H W THREADS
// Prints the best of three runs in milliseconds.  onnxruntime-node is
// installed for the benchmark only (tests/bench/run-bench.sh).
const ort = require('onnxruntime-node');

(async () => {
  const [model, c, h, w, threads] = process.argv.slice(2);
  const n = Number(threads);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: n, interOpNumThreads: 1,
    graphOptimizationLevel: 'all', executionProviders: ['cpu'],
  });
  const size = Number(c) * Number(h) * Number(w);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = (i % 251) / 251;
  const input = new ort.Tensor('float32', data,
                               [1, Number(c), Number(h), Number(w)]);
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = process.hrtime.bigint();
    await session.run({ [session.inputNames[0]]: input });
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  console.log(best);
})().catch((e) => { console.error(e.message); process.exit(1); });
