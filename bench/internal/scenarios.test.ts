import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { percentile, ratios, summarize, type PhaseSample, type ScenarioRaw } from './core-summary.ts';
import { PEERS, selectScenarios } from './scenarios.ts';

const names = (filter: string): string[] => selectScenarios(filter).map((s) => s.name);

describe('core bench --filter', () => {
  it('runs every peer at every size it supports without a filter', () => {
    assert.equal(names('').length, PEERS.reduce((n, p) => n + p.sizes.length, 0));
    assert.ok(!names('').includes('redis-streams-100kb'));
  });

  it('ANDs peer terms with size terms and ORs within each kind', () => {
    assert.deepEqual(names('bullmq,quarry-embedded,1kb'), ['quarry-embedded-1kb', 'bullmq-1kb', 'bullmq-flow-1kb']);
    assert.deepEqual(names('100kb,bullmq-flow'), ['bullmq-flow-100kb']);
    assert.deepEqual(names('kafka,1kb'), ['quarry-kafka-redis-1kb', 'quarry-kafka-redis-chained-1kb', 'quarry-kafka-memory-1kb']);
  });

  it('names the bad term and what it could have been', () => {
    assert.throws(() => selectScenarios('bullmq,rabbit'), /sizes \(1kb, 100kb\).*bullmq.*got `rabbit`/);
    assert.throws(() => selectScenarios('redis-streams,100kb'), /select at least one scenario/);
  });
});

const phase = (rep: number, items: number, elapsedMs: number, mainCpuMs: number, roundTrips: number): PhaseSample => ({
  rep, items, ends: { completed: items }, elapsedMs, latenciesMs: Array.from({ length: items }, (_, i) => i + 1), wallMs: elapsedMs,
  cpuMs: { main: mainCpuMs, redis: items, kafka: 1000 }, machine: { busyMs: 0, othersMs: 0 },
  redisServer: { cpuMs: items, commands: items * 10, byCommand: { evalsha: items * 2, hset: items } },
  counters: { redisRoundTrips: roundTrips, redisCommands: roundTrips * 2, redisByCommand: {}, grpcByMethod: {} }, extras: {}, elu: 0.5, load1: 2,
});
const raw = (peer: string, phases: PhaseSample[]): ScenarioRaw => ({
  name: `${peer}-1kb`, peer, size: '1kb', bytes: 1024, uses: { redis: true, kafka: false, operatorProcess: false }, phases, probes: { latenciesMs: [1, 2, 3], ends: { completed: 3 } },
});

describe('core bench figures', () => {
  it('takes nearest-rank percentiles of exact samples', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    assert.equal(percentile(xs, 50), 50);
    assert.equal(percentile(xs, 99), 99);
    assert.equal(percentile(xs, 100), 100);
    assert.equal(percentile([7], 99), 7);
  });

  it('pools items over elapsed time, counts per item, and leaves out the servers a peer does not use', () => {
    const s = summarize(raw('bullmq', [phase(0, 100, 1000, 200, 1200), phase(1, 300, 1000, 300, 3600)]));
    assert.equal(s.itemsPerSec, 200);
    assert.deepEqual(s.itemsPerSecByRep, [100, 300]);
    assert.equal(s.cpuMsPerItem.main, 1.25);
    assert.equal(s.cpuMsPerItem.kafka, undefined);
    assert.equal(s.cpuMsPerItem.total, 2.25);
    assert.equal(s.redisClient?.roundTripsPerItem, 12);
    assert.equal(s.redisServer?.scriptCallsPerItem, 2);
    // 400 samples: 1…100 twice and 101…300 once; the 396th smallest is 296.
    assert.equal(s.latencyMs.p99, 296);
  });

  it('pairs Quarry with BullMQ repetition by repetition', () => {
    const b = summarize(raw('bullmq', [phase(0, 100, 1000, 100, 100), phase(1, 100, 500, 100, 100)]));
    const q = summarize(raw('quarry-embedded', [phase(0, 100, 2000, 400, 100), phase(1, 100, 2000, 400, 100)]));
    const [r] = ratios([q, b]);
    // Pooled: 50 against 133 items/s.
    assert.equal(r?.itemsPerSec, 0.38);
    assert.deepEqual(r?.itemsPerSecPaired, { median: 0.38, min: 0.25, max: 0.5, reps: 2 });
    assert.equal(r?.cpuMainPerItem, 4);
  });
});
