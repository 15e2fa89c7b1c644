// The signal board on real Redis (one node and a Cluster), and a real miner publishing its load
// where a process without runners or clients (a deployment's gate) reads it.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineDag } from '../dag/index.ts';
import { defineOperator, serveOperators } from '../operator-sdk/index.ts';
import { createOperatorClient } from '../operator-client/index.ts';
import { createRedisClient, escapeGlob } from '../redis/index.ts';
import { deleteMatching, useRedisTestServer } from '../testing/index.ts';
import { createRedisSignalBoard, type MinerLoad } from './signal-board.ts';
import { startSignalPublisher } from './signal-publisher.ts';
import { boardLoad, runtimeSignals } from './signals.ts';
import { startRuntime } from './runtime.ts';

const load = (minerId: string, capacity: number, utilization: number): MinerLoad =>
  ({ minerId, nodes: { 'd/work': { inFlight: Math.round(capacity * utilization), capacity, busyMs: 0, utilization, lag: 7 } }, resourceExhaustedPerSec: 0, timeoutsPerSec: 0 });

for (const [kind, cluster] of [['redis', false], ['redis-cluster', true]] as const) {
  describe(`signal board on ${kind}`, () => {
    const server = cluster ? useRedisTestServer('signal-board', { cluster: true }) : useRedisTestServer('signal-board');
    const namespaces: string[] = [];
    const board = (staleMs?: number) => {
      const namespace = namespaces.at(-1)!;
      return createRedisSignalBoard({ redis: server.url, namespace, ...(staleMs ? { staleMs } : {}) });
    };
    const fresh = () => { namespaces.push(server.namespace()); };
    after(async () => {
      const r = createRedisClient(server.url);
      for (const ns of namespaces) await deleteMatching(r, `{quarry:signals:${escapeGlob(ns)}}*`);
      await r.quit();
    });

    it('sums the miners of a node (capacity-weighted utilisation) and their counters; a withdrawn miner leaves at once', async () => {
      fresh();
      const a = board();
      const b = board();
      try {
        await a.publish(load('m1', 4, 1), { resourceExhausted: 2, timeouts: 0 });
        await b.publish(load('m2', 12, 0.5), { resourceExhausted: 1, timeouts: 3 });
        const r = await a.read();
        assert.deepEqual(r.miners.map((m) => m.minerId).sort(), ['m1', 'm2']);
        assert.deepEqual([r.resourceExhausted, r.timeouts], [3, 3]);
        assert.deepEqual(boardLoad(r).get('d/work'), { capacity: 16, utilization: (4 * 1 + 12 * 0.5) / 16, inHand: 4 + 6 });
        await b.withdraw('m2');
        const after1 = await a.read();
        assert.deepEqual(after1.miners.map((m) => m.minerId), ['m1']);
        assert.equal(after1.resourceExhausted, 3, 'counters are the deployment\'s: a miner leaving does not take them back');
      } finally { await a.close(); await b.close(); }
    });

    it('a miner that stops publishing stops counting after the staleness bound', async () => {
      fresh();
      const live = board(400);
      try {
        await live.publish(load('dead', 8, 1), { resourceExhausted: 0, timeouts: 0 });
        assert.equal((await live.read()).miners.length, 1);
        await sleep(600);
        await live.publish(load('alive', 8, 0.25), { resourceExhausted: 0, timeouts: 0 });
        const r = await live.read();
        assert.deepEqual(r.miners.map((m) => m.minerId), ['alive'], 'the silent miner is past the bound');
        assert.ok(r.miners[0]!.ageMs < 400);
        assert.equal(boardLoad(r).get('d/work')?.utilization, 0.25);
      } finally { await live.close(); }
    });
  });
}

describe('a miner publishes its load; a process with no runners or clients reads it', () => {
  const server = useRedisTestServer('signal-publisher');
  const namespace = server.namespace();
  after(async () => {
    const r = createRedisClient(server.url);
    await deleteMatching(r, `{quarry:signals:${escapeGlob(namespace)}}*`);
    await r.quit();
  });

  it('utilisation, capacity and RESOURCE_EXHAUSTED reach the reader through the board', async () => {
    const slow = defineOperator({ name: 'sig-slow', version: '1', inputs: { n: z.string() }, outputs: { m: z.string() },
      async handler({ n }) { await sleep(n === 'hog' ? 1_500 : 100); return { m: n }; } });
    // Another caller holds the service's capacity for a while: the miner's calls meet RESOURCE_EXHAUSTED.
    const op = await serveOperators([slow], { port: 0, capacity: 4 });
    const other = createOperatorClient({ endpoints: [op.address], maxAttempts: 1 });
    const enc = new TextEncoder();
    const hog = other.echoBatch({ operator: 'sig-slow', items: Array.from({ length: 4 }, (_, i) => ({
      trigger: { messageId: `h${i}`, itemKey: 'hog', dag: 'x', dagVersion: 1, node: 'n', tupleRef: '', tupleVersion: 1, priority: 'normal', tenant: 'default', attempt: 0, deadlineMs: 0, traceparent: '', tracestate: '', parentId: '', fromNode: '', createdMs: 0, source: {}, notBeforeMs: 0 },
      operator: 'sig-slow', fields: { n: enc.encode(JSON.stringify('hog')) }, blobs: {}, deadlineMs: Date.now() + 5_000 })) });
    const dag = defineDag({ name: 'sig', source: ['n'], defaults: { concurrency: 8, retry: { maxAttempts: 50, backoffMs: 50, maxBackoffMs: 100 } } }, [
      { id: 'work', operator: 'sig-slow', reads: ['n'], writes: ['m'] },
    ]);
    const rt = await startRuntime({ dags: [dag], endpoints: [op.address] });
    const minerBoard = createRedisSignalBoard({ redis: server.url, namespace });
    const gateBoard = createRedisSignalBoard({ redis: server.url, namespace });
    const publisher = startSignalPublisher({ board: minerBoard, minerId: 'm1', plans: rt.plans, bus: rt.bus, runners: () => rt.miner.runners(), clients: () => rt.directory.clients(), intervalMs: 100 });
    // What `quarry gate run` computes: no runners, no clients, only the board.
    const remote = runtimeSignals({ plans: rt.plans, bus: rt.bus, ledger: rt.ledger, board: gateBoard }, 0);
    try {
      const before = await remote();
      assert.equal(before.resourceExhausted, 0);
      // Enough work to keep the node's 8 slots full for a while, however slowly a loaded machine runs the publisher.
      await rt.submit(Array.from({ length: 160 }, (_, i) => ({ dag: 'sig', itemKey: `k${i}`, source: { n: String(i) } })));
      let peak = 0;
      let seenCapacity = 0;
      let exhausted = 0;
      for (let i = 0; i < 200 && (peak < 0.5 || exhausted === 0); i++) {
        await sleep(50);
        const s = await remote();
        peak = Math.max(peak, s.utilization);
        seenCapacity = Math.max(seenCapacity, s.capacity);
        exhausted = s.resourceExhausted;
      }
      assert.ok(peak >= 0.5, `the reader saw the miner's node busy (peak utilisation ${peak})`);
      assert.ok(exhausted > 0, 'RESOURCE_EXHAUSTED answers counted through the board');
      assert.equal(seenCapacity, 8, 'capacity as the miner published it');
      const reading = await gateBoard.read();
      assert.deepEqual(Object.keys(reading.miners[0]!.nodes), ['sig/work']);
      assert.ok(publisher.lagByNode().has('sig/work'), 'the measured lag is kept for quarry_node_lag');
      await hog;
      other.close();
      await rt.idle(60_000);
      await publisher.stop();
      assert.deepEqual((await gateBoard.read()).miners, [], 'a stopped miner leaves the board');
    } finally {
      await publisher.stop();
      await minerBoard.close();
      await gateBoard.close();
      await rt.close();
      await op.close();
    }
  });
});
