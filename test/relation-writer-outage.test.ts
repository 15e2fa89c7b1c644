// The relation writer outlives a Cassandra outage: its node backs off (backpressure, attempts
// unspent, never a dead letter) and its items complete once Cassandra is reachable again. The
// shared Cassandra is never stopped: the writer reaches it through a TCP proxy this test owns,
// cut (nothing listens) and restored. (A writer that starts while Cassandra is unreachable is
// relation-writer.test.ts's: a lazily opened store answers backpressure.)
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { defineDag } from '../framework/dag/index.ts';
import { defineOperator, type OperatorDefinition } from '../framework/operator-sdk/index.ts';
import { startRuntime, type Runtime } from '../framework/runtime/index.ts';
import { createRelationWriterOperators } from '../operators/relation-writer/index.ts';
import { createRelationEngine, openRelationStore, type CassandraStore, type RelationEngine } from '../relation-engine/index.ts';
import { cassandraTarget } from '../relation-engine/testing/index.ts';

/** A TCP proxy to the real Cassandra that can refuse, forward, and cut every open connection. */
async function cassandraProxy(target: string) {
  const [host, port] = [target.split(':')[0]!, Number(target.split(':')[1] ?? 9042)];
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const listenPort = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return {
    address: `127.0.0.1:${listenPort}`,
    async up() {
      server = net.createServer((client) => {
        const upstream = net.connect(port, host);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((r) => server!.listen(listenPort, '127.0.0.1', r));
    },
    async down() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
      server = undefined;
    },
  };
}

const source = defineOperator({
  name: 'outage-page',
  version: '1.0.0',
  inputs: { url: z.string() },
  outputs: { title: z.string(), pageType: z.string(), contentHash: z.string(), fetchedAtMs: z.number().int(), images: z.array(z.object({ url: z.string() })) },
  async handler({ url }) {
    return { title: `title of ${url}`, pageType: 'page', contentHash: url, fetchedAtMs: Date.now(), images: [{ url: `${url}/img.png` }] };
  },
});

const dag = defineDag({ name: 'outage', source: ['url'], defaults: { timeoutMs: 10_000, retry: { maxAttempts: 2, backoffMs: 100, maxBackoffMs: 500 } } }, [
  { id: 'page', operator: 'outage-page', reads: ['url'], writes: ['title', 'pageType', 'contentHash', 'fetchedAtMs', 'images'] },
  { id: 'relate', operator: 'relation-page', after: ['page'], reads: ['url', 'title', 'pageType', 'contentHash', 'fetchedAtMs', 'images'] },
]);

const until = async (cond: () => boolean, what: string, ms = 60_000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe('the relation writer during a Cassandra outage', () => {
  const keyspace = `quarry_outage_${randomBytes(4).toString('hex')}`;
  const target = cassandraTarget().contactPoints[0]!;
  let proxy: Awaited<ReturnType<typeof cassandraProxy>>;
  let engine: RelationEngine;
  let rt: Runtime;
  let calls = 0;
  /** Runs once, at the start of the writer's next call, before its writes reach the store. */
  let onNextCall: (() => Promise<void>) | undefined;

  before(async () => {
    proxy = await cassandraProxy(target);
    await proxy.up();
    // The node names itself by its own address: translate it to the proxy, or the driver would
    // find its way around the proxy (and keep timers for the host it found).
    engine = createRelationEngine({ store: await openRelationStore(`cassandra:${proxy.address}/${keyspace}`, { lazy: true, writeConsistency: 'one', readConsistency: 'one', translateAddress: () => proxy.address }) });
    const { page } = createRelationWriterOperators({ engine });
    const { name, version, inputs, outputs, maxBatch, concurrency } = page;
    const counted = defineOperator({ name, version, inputs, outputs, maxBatch, concurrency, batchHandler: async (items, b) => {
      calls += items.length;
      const hook = onNextCall;
      onNextCall = undefined;
      await hook?.();
      return page.batchHandler(items, b);
    } }) as unknown as OperatorDefinition;
    rt = await startRuntime({ dags: [dag], operators: [source as unknown as OperatorDefinition, counted] });
  });
  after(async () => {
    await rt?.close();
    await engine?.close();
    await proxy?.down();
    const direct = await openRelationStore(`cassandra:${target}/${keyspace}`) as CassandraStore;
    await direct.dropKeyspace();
    await direct.close();
    // cassandra-driver 4.8 keeps a pool timer of a host whose connections were cut and restored
    // after client.shutdown(); it would hold this test file's process open for ever. Every result
    // is reported by now: let the process end a moment after the last hook.
    setTimeout(() => process.exit(), 2_000).unref();
  });

  const submit = (keys: string[]) => rt.submit(keys.map((k) => ({ dag: 'outage', itemKey: k, source: { url: k } })));
  const ended = (keys: string[]) => rt.terminal.filter((r) => keys.includes(r.itemKey));

  it('backs off while Cassandra is unreachable when the items arrive, then completes every item', async () => {
    await submit(['http://outage.test/warm']);
    await rt.idle(60_000);
    assert.equal(ended(['http://outage.test/warm'])[0]?.state, 'completed');
    await proxy.down();
    const before = calls;
    const keys = Array.from({ length: 5 }, (_, i) => `http://outage.test/a${i}`);
    await submit(keys);
    // More tries than the node's 2 attempts would allow if they counted.
    await until(() => calls >= before + 3 * keys.length, 'the writer to be retried while Cassandra is unreachable');
    assert.deepEqual(ended(keys), [], 'no item ends while the store is down');
    await proxy.up();
    await rt.idle(120_000);
    assert.deepEqual(ended(keys).map((r) => r.state), keys.map(() => 'completed'));
    for (const k of keys) assert.equal((await engine.imagesOfPage(k))?.page.title, `title of ${k}`);
  });

  it('backs off when the connection is cut mid-run, then completes once it is back', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `http://outage.test/b${i}`);
    // The cut comes with the writer's first call of the run, while its connections are open: a
    // cut timed from outside could come after all 20 items were written (they take milliseconds).
    let cut = false;
    onNextCall = async () => {
      await proxy.down();
      cut = true;
    };
    await submit(keys);
    await until(() => cut, 'the cut at the writer\'s first call');
    const cutAt = calls;
    await until(() => calls >= cutAt + 30, 'the writer to be retried after the cut');
    assert.ok(ended(keys).length < keys.length, 'the cut left items waiting');
    await proxy.up();
    await rt.idle(120_000);
    assert.deepEqual(ended(keys).map((r) => r.state), keys.map(() => 'completed'));
    assert.equal(rt.terminal.filter((r) => r.state === 'dead-lettered').length, 0);
    assert.deepEqual((await engine.imagesOfPage(keys[0]!))?.images.map((i) => i.url), [`${keys[0]}/img.png`]);
  });
});
