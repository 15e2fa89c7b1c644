import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCapacity } from './capacity-model.ts';
import { formatSimulationReport } from './report.ts';
import { runSimulation } from './run-simulation.ts';
import { defaultTraceOptions, diurnalTrace, readTraceFile } from './trace.ts';

const H = 3_600_000;
const start = Date.UTC(2026, 0, 5, 10);

test('the generated trace is deterministic for a seed and has its bursts', () => {
  const o = { ...defaultTraceOptions, durationMs: H, bursts: 1, burstMs: 600_000 };
  const a = [...diurnalTrace(o)];
  const b = [...diurnalTrace(o)];
  assert.deepEqual(a.slice(0, 50), b.slice(0, 50));
  assert.equal(a.length, b.length);
  const noisy = a.filter((x) => x.tenant === 'tenant-a').length;
  assert.ok(noisy > a.length / 3 + 1000, 'the burst comes from the first tenant');
});

test('overload: the gate keeps high fast, defers low gpu work and loses nothing; gate off does not', async () => {
  // Three hours at ~1.6× capacity, then calm, with an off-peak window at 13:00 UTC.
  const o = { ...defaultTraceOptions, durationMs: 3 * H, meanPerSec: 14, swing: 0, bursts: 1, burstMs: 20 * 60_000, seed: 7 };
  const gateCfg = { tickMs: 1000, deferral: { windows: [{ cron: '0 13 * * *', durationMs: 2 * H }], maxDrainPerSec: 30 } };
  const on = await runSimulation({ arrivals: diurnalTrace(o), gate: gateCfg, capacity: defaultCapacity, startMs: start, bucketMs: 30 * 60_000 });
  const off = await runSimulation({ arrivals: diurnalTrace(o), gate: 'off', capacity: defaultCapacity, startMs: start, bucketMs: 30 * 60_000 });
  assert.equal(on.completed, on.submitted, 'nothing lost with the gate');
  assert.equal(off.completed, off.submitted);
  assert.ok(on.perClass.high.p99 * 20 < off.perClass.high.p99, `high p99 ${on.perClass.high.p99} vs off ${off.perClass.high.p99}`);
  assert.ok(on.perClass.high.p99 < on.perClass.normal.p99, 'high ahead of normal');
  assert.ok(on.deferredVolume > 0 && on.peakDeferred > 0);
  assert.ok(on.peakInFlight * 20 < off.peakInFlight, 'queues stay in the gate, not in the DAG');
  const busy = on.utilization.filter((u) => u.atMs < 3 * H);
  assert.ok(busy.every((u) => u.utilization > 0.9), `bottleneck kept busy: ${busy.map((u) => u.utilization.toFixed(2))}`);
  const report = formatSimulationReport(on, off);
  assert.match(report, /\| high \| \d+ \|/);
  assert.match(report, /deferred volume \(low gpu\) \| \d+ \| 0 \|/);
  assert.match(report, /█/);
});

test('a recorded JSONL trace is read and replayed; bad lines are all named', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-trace-'));
  const path = join(dir, 't.jsonl');
  writeFileSync(path, [
    { atMs: 0, priority: 'low', tenant: 'x', resource: 'gpu', count: 50 },
    { atMs: 10, priority: 'high', tenant: 'y', count: 5 },
  ].map((x) => JSON.stringify(x)).join('\n'));
  const arrivals = readTraceFile(path);
  const r = await runSimulation({ arrivals, gate: { tickMs: 500 }, capacity: defaultCapacity, startMs: start, stepMs: 500 });
  assert.equal(r.completed, 55);
  assert.equal(r.perClass.high.count, 5);
  assert.equal(r.deferredVolume, 50);
  writeFileSync(path, '{"atMs":-1,"priority":"urgent"}\nnot json\n');
  assert.throws(() => readTraceFile(path), (e: Error) => /line 1\.atMs/.test(e.message) && /line 1\.priority/.test(e.message) && /line 2/.test(e.message));
});
