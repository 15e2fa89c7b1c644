import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { useRedisTestServer } from '../../framework/testing/index.ts';
import { runClosedLoop } from './closed-loop.ts';
import { startBullmq } from './peer-bullmq.ts';
import { startStreams } from './peer-streams.ts';

const redis = useRedisTestServer('bench-peers');

async function keysLike(pattern: string): Promise<string[]> {
  return redis.admin.keys(pattern);
}

describe('core bench peers on the real Redis', () => {
  for (const shape of ['chain', 'flow'] as const) it(`BullMQ (${shape}) carries every item to f, at both sizes, and leaves no key behind`, async () => {
    const runId = `test-${randomUUID()}`;
    const peer = startBullmq({ redis: redis.url, runId, concurrency: 4, shape });
    try {
      const small = await runClosedLoop(peer, { items: 20, bytes: 1024, window: 8, keyPrefix: 's-', timeoutMs: 60_000 });
      const large = await runClosedLoop(peer, { items: 4, bytes: 100 * 1024, window: 2, keyPrefix: 'l-', timeoutMs: 60_000 });
      assert.deepEqual(small.ends, { completed: 20 });
      assert.deepEqual(large.ends, { completed: 4 });
      assert.equal(small.latenciesMs.length, 20);
    } finally {
      await peer.close();
    }
    assert.deepEqual(await keysLike(`bench-bullmq-${runId}-${shape}:*`), []);
  });

  it('raw Streams carry every item over the six hops and delete their streams on close', async () => {
    const runId = `test-${randomUUID()}`;
    const peer = await startStreams({ redis: redis.url, runId });
    try {
      const r = await runClosedLoop(peer, { items: 50, bytes: 1024, window: 16, keyPrefix: 's-', timeoutMs: 60_000 });
      assert.deepEqual(r.ends, { completed: 50 });
      // Entries are deleted as they are acknowledged: nothing piles up in a stream.
      for (const s of ['a', 'b', 'c', 'd', 'e', 'f']) assert.equal(await redis.admin.xlen(`bench-streams-${runId}:${s}`), 0);
    } finally {
      await peer.close();
    }
    assert.deepEqual(await keysLike(`bench-streams-${runId}:*`), []);
  });
});
