// The TriggerBus contract: every adapter's test calls `busContract(name, makeBus)`, so the
// embedded bus and the Kafka bus are held to the same at-least-once behaviour.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { ConsumedBatch, ConsumedMessage, Subscription, TriggerBus } from '../bus/trigger-bus.ts';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** How long a contract step may wait for deliveries before failing with what it saw. */
const WAIT_MS = 60_000;

function keysOf(messages: readonly { key: string }[]): string[] {
  return messages.map((m) => m.key);
}

function msgs(prefix: string, n: number, from = 0) {
  return Array.from({ length: n }, (_, i) => ({
    key: `${prefix}${from + i}`,
    value: enc.encode(`value-${from + i}`),
    headers: { 'x-index': String(from + i) },
  }));
}

/** Resolves when `done()` turns true, re-checked whenever `poke` is called. */
function waiter(what: string, done: () => boolean, seen: () => unknown) {
  let wake = (): void => {};
  const promise = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`timed out after ${WAIT_MS} ms waiting for ${what}; saw ${JSON.stringify(seen())}`));
    }, WAIT_MS);
    wake = () => {
      if (done()) {
        clearTimeout(timer);
        resolve();
      }
    };
  });
  return { promise, poke: () => wake() };
}

export function busContract(name: string, makeBus: () => Promise<TriggerBus>): void {
  describe(`TriggerBus contract: ${name}`, () => {
    // Assigned in `before`; if that fails (server unreachable) every test fails with its error.
    let bus = undefined as unknown as TriggerBus;
    const run = randomBytes(4).toString('hex');
    let n = 0;
    const fresh = (what: string) => `contract-${run}-${what}-${++n}`;
    const open: Subscription[] = [];

    before(async () => {
      bus = await makeBus();
    });
    after(async () => {
      await Promise.all(open.map((s) => s.close()));
      if (bus !== undefined) await bus.close();
    });

    /** Subscribes and collects every delivered batch; `fail(batch)` may reject it. */
    async function collect(opts: {
      groupId: string;
      topics: string[];
      until: (delivered: ConsumedMessage[]) => boolean;
      maxBatchSize?: number;
      concurrency?: number;
      fail?: (batch: ConsumedBatch, attempt: number) => boolean;
      during?: (batch: ConsumedBatch) => Promise<void>;
    }) {
      const batches: { batch: ConsumedBatch; ok: boolean }[] = [];
      const delivered: ConsumedMessage[] = [];
      let attempt = 0;
      const w = waiter(`deliveries on ${opts.topics.join(',')}`, () => opts.until(delivered), () => keysOf(delivered));
      const sub = await bus.subscribe({
        groupId: opts.groupId,
        topics: opts.topics,
        ...(opts.maxBatchSize === undefined ? {} : { maxBatchSize: opts.maxBatchSize }),
        ...(opts.concurrency === undefined ? {} : { concurrency: opts.concurrency }),
        async handleBatch(batch) {
          attempt += 1;
          await opts.during?.(batch);
          if (opts.fail?.(batch, attempt) === true) {
            batches.push({ batch, ok: false });
            throw new Error('handler failed on purpose');
          }
          batches.push({ batch, ok: true });
          delivered.push(...batch.messages);
          w.poke();
        },
      });
      open.push(sub);
      w.poke();
      return { sub, batches, delivered, done: w.promise };
    }

    it('round-trips keys, values and headers in order', async () => {
      const topic = fresh('roundtrip');
      await bus.ensureTopics([topic]);
      await bus.produce(topic, msgs('k', 3));
      const c = await collect({ groupId: fresh('g'), topics: [topic], until: (d) => d.length >= 3 });
      await c.done;
      await c.sub.close();
      assert.deepEqual(keysOf(c.delivered), ['k0', 'k1', 'k2']);
      c.delivered.forEach((m, i) => {
        assert.equal(m.topic, topic);
        assert.equal(m.partition, 0);
        assert.equal(m.offset, String(i));
        assert.ok(m.value instanceof Uint8Array, 'value is a Uint8Array');
        assert.equal(dec.decode(m.value), `value-${i}`);
        assert.deepEqual(m.headers, { 'x-index': String(i) });
        assert.equal(typeof m.timestampMs, 'number');
        assert.ok(m.timestampMs > 0);
      });
    });

    it('produces several topics in one call', async () => {
      const [a, b] = [fresh('many-a'), fresh('many-b')];
      await bus.ensureTopics([a, b]);
      await bus.produceMany([{ topic: a, messages: msgs('a', 2) }, { topic: b, messages: msgs('b', 3) }, { topic: a, messages: [] }]);
      const c = await collect({ groupId: fresh('g'), topics: [a, b], until: (d) => d.length >= 5 });
      await c.done;
      await c.sub.close();
      assert.deepEqual(keysOf(c.delivered.filter((m) => m.topic === a)), ['a0', 'a1']);
      assert.deepEqual(keysOf(c.delivered.filter((m) => m.topic === b)), ['b0', 'b1', 'b2']);
    });

    it('handles batches concurrently and still redelivers a failed one (offsets commit in order)', async () => {
      const topic = fresh('concurrent');
      await bus.ensureTopics([topic]);
      await bus.produce(topic, msgs('q', 12));
      let active = 0;
      let peak = 0;
      const c = await collect({
        groupId: fresh('g'), topics: [topic], maxBatchSize: 3, concurrency: 3,
        until: (d) => new Set(keysOf(d)).size >= 12,
        // The second batch fails once: it (and whatever came after it) is delivered again.
        fail: (batch, attempt) => batch.messages[0]?.key === 'q3' && attempt <= 4,
        during: async () => {
          peak = Math.max(peak, ++active);
          await new Promise((r) => setTimeout(r, 30));
          active -= 1;
        },
      });
      await c.done;
      await c.sub.close();
      assert.ok(peak > 1, `several batches of the partition were handled at once (peak ${peak})`);
      assert.deepEqual([...new Set(keysOf(c.delivered))].sort(), Array.from({ length: 12 }, (_, i) => `q${i}`).sort());
      assert.ok(c.batches.some((x) => !x.ok), 'a batch failed and was delivered again');
      assert.ok(c.batches.every((x) => x.batch.messages.length <= 3));
    });

    it('delivers in batches no larger than maxBatchSize, with lag after each batch', async () => {
      const topic = fresh('batching');
      await bus.ensureTopics([topic]);
      await bus.produce(topic, msgs('b', 25));
      const c = await collect({ groupId: fresh('g'), topics: [topic], maxBatchSize: 10, until: (d) => d.length >= 25 });
      await c.done;
      await c.sub.close();
      assert.deepEqual(keysOf(c.delivered), msgs('b', 25).map((m) => m.key));
      let seen = 0;
      for (const { batch } of c.batches) {
        assert.ok(batch.messages.length >= 1 && batch.messages.length <= 10, `batch of ${batch.messages.length}`);
        seen += batch.messages.length;
        assert.equal(batch.lag, 25 - seen, 'lag after the batch');
      }
      assert.ok(c.batches.some((b) => b.batch.messages.length > 1), 'some batch holds several messages');
    });

    it('commits only after the handler resolves: a failed batch comes again, nothing lost or skipped', async () => {
      const topic = fresh('commit');
      const groupId = fresh('g');
      await bus.ensureTopics([topic]);
      await bus.produce(topic, msgs('c', 5));
      const c = await collect({
        groupId,
        topics: [topic],
        maxBatchSize: 2,
        fail: (batch, attempt) => attempt === 2, // the second batch fails once
        until: (d) => d.length >= 5,
      });
      await c.done;
      await c.sub.close();
      const trace = c.batches.map(({ batch, ok }) => `${ok ? 'ok' : 'FAIL'}:${keysOf(batch.messages).join('+')}`);
      assert.deepEqual(trace, ['ok:c0+c1', 'FAIL:c2+c3', 'ok:c2+c3', 'ok:c4']);
      assert.deepEqual(keysOf(c.delivered), ['c0', 'c1', 'c2', 'c3', 'c4']);
      assert.deepEqual(await bus.lag(groupId, [topic]), [{ topic, partition: 0, lag: 0 }]);

      // A new member of the same group resumes after the last commit: nothing old comes back.
      await bus.produce(topic, msgs('c', 2, 5));
      const again = await collect({ groupId, topics: [topic], until: (d) => d.length >= 2 });
      await again.done;
      await again.sub.close();
      assert.deepEqual(keysOf(again.delivered), ['c5', 'c6']);
      assert.deepEqual(again.delivered.map((m) => m.offset), ['5', '6']);
    });

    it('a handler that keeps failing gets the very same messages every time', async () => {
      const topic = fresh('poison');
      const groupId = fresh('g');
      await bus.ensureTopics([topic]);
      await bus.produce(topic, msgs('p', 3));
      const c = await collect({
        groupId,
        topics: [topic],
        fail: (_b, attempt) => attempt <= 3,
        until: (d) => d.length >= 3,
      });
      await c.done;
      await c.sub.close();
      const failed = c.batches.filter((b) => !b.ok);
      assert.equal(failed.length, 3);
      for (const f of failed) assert.equal(f.batch.messages[0]?.key, 'p0', 'each retry starts at the first uncommitted');
      assert.deepEqual(keysOf(c.delivered), ['p0', 'p1', 'p2']);
    });

    it('two groups each see every message', async () => {
      const topic = fresh('groups');
      await bus.ensureTopics([topic]);
      await bus.produce(topic, msgs('g', 4));
      const a = await collect({ groupId: fresh('ga'), topics: [topic], until: (d) => d.length >= 4 });
      const b = await collect({ groupId: fresh('gb'), topics: [topic], until: (d) => d.length >= 4 });
      await Promise.all([a.done, b.done]);
      await Promise.all([a.sub.close(), b.sub.close()]);
      assert.deepEqual(keysOf(a.delivered), ['g0', 'g1', 'g2', 'g3']);
      assert.deepEqual(keysOf(b.delivered), ['g0', 'g1', 'g2', 'g3']);
    });

    it('members of one group share the work and take over from a member that leaves', async () => {
      const topic = fresh('shared');
      const groupId = fresh('g');
      await bus.ensureTopics([topic]);
      await bus.produce(topic, msgs('s', 6));
      const all: ConsumedMessage[] = [];
      const w = waiter('shared deliveries', () => new Set(keysOf(all)).size >= 9, () => keysOf(all));
      const member = () =>
        bus.subscribe({
          groupId,
          topics: [topic],
          async handleBatch(batch) {
            all.push(...batch.messages);
            w.poke();
          },
        });
      const first = await member();
      const second = await member();
      open.push(first, second);
      await first.close();
      await bus.produce(topic, msgs('s', 3, 6));
      await w.promise;
      await second.close();
      assert.deepEqual([...new Set(keysOf(all))].sort(), msgs('s', 9).map((m) => m.key).sort());
    });

    it('lag counts uncommitted messages, never grows while batches commit, and is 0 once they did', async () => {
      const topic = fresh('lag');
      const groupId = fresh('g');
      await bus.ensureTopics([topic]);
      assert.deepEqual(await bus.lag(groupId, [topic]), [{ topic, partition: 0, lag: 0 }]);
      await bus.produce(topic, msgs('l', 6));
      assert.deepEqual(await bus.lag(groupId, [topic]), [{ topic, partition: 0, lag: 6 }]);
      const observed: number[] = [];
      const c = await collect({
        groupId,
        topics: [topic],
        maxBatchSize: 2,
        during: async () => {
          const [l] = await bus.lag(groupId, [topic]);
          observed.push(l?.lag ?? -1);
        },
        until: (d) => d.length >= 6,
      });
      await c.done;
      await c.sub.close();
      assert.equal(observed[0], 6);
      assert.ok(observed.every((l, i) => i === 0 || l <= observed[i - 1]!), `lag went up: ${observed.join(', ')}`);
      assert.deepEqual(await bus.lag(groupId, [topic]), [{ topic, partition: 0, lag: 0 }]);
    });

    it('read returns messages from the beginning without committing anything', async () => {
      const topic = fresh('read');
      const groupId = fresh('g');
      await bus.ensureTopics([topic]);
      assert.deepEqual(await bus.read(topic), []);
      await bus.produce(topic, msgs('r', 3));
      const all = await bus.read(topic);
      assert.deepEqual(keysOf(all), ['r0', 'r1', 'r2']);
      assert.deepEqual(all.map((m) => m.offset), ['0', '1', '2']);
      assert.equal(dec.decode(all[1]!.value), 'value-1');
      assert.deepEqual(all[2]!.headers, { 'x-index': '2' });
      assert.deepEqual(keysOf(await bus.read(topic, { limit: 2 })), ['r0', 'r1']);
      assert.deepEqual(keysOf(await bus.read(topic)), ['r0', 'r1', 'r2'], 'reading twice gives the same');
      assert.deepEqual(await bus.lag(groupId, [topic]), [{ topic, partition: 0, lag: 3 }]);
      const c = await collect({ groupId, topics: [topic], until: (d) => d.length >= 3 });
      await c.done;
      await c.sub.close();
      assert.deepEqual(keysOf(c.delivered), ['r0', 'r1', 'r2']);
    });

    it('rejects bad input with a clear error', async () => {
      await assert.rejects(bus.produce('bad topic!', []), /topic/);
      await assert.rejects(
        bus.produce(fresh('bad'), [{ key: 'k', value: 'text' as unknown as Uint8Array }]),
        /messages\[0\]\.value.*Uint8Array/,
      );
      await assert.rejects(
        bus.subscribe({ groupId: '', topics: [], handleBatch: async () => {} }),
        (err: Error & { code?: string }) => err.code === 'CONFIG_INVALID' && /groupId/.test(err.message) && /topics/.test(err.message),
      );
    });

    it('a slow batch does not hold back the messages behind it while a slot is free; offsets still commit in order', async () => {
      const topic = fresh('window');
      const groupId = fresh('g');
      await bus.ensureTopics([topic]);
      let release = (): void => {};
      const slowHeld = new Promise<void>((r) => (release = r));
      let slowStarted = (): void => {};
      const started = new Promise<void>((r) => (slowStarted = r));
      const done: string[] = [];
      const w = waiter('the messages behind the slow one', () => done.length >= 3, () => done);
      const sub = await bus.subscribe({
        groupId, topics: [topic], maxBatchSize: 1, concurrency: 2,
        async handleBatch(batch) {
          for (const m of batch.messages) {
            if (m.key === 'slow') {
              slowStarted();
              await slowHeld;
            }
            done.push(m.key);
            w.poke();
          }
        },
      });
      open.push(sub);
      try {
        await bus.produce(topic, [{ key: 'slow', value: enc.encode('s') }]);
        await started; // delivered alone, and running
        await bus.produce(topic, msgs('m', 3));
        await w.promise;
        assert.deepEqual(done, ['m0', 'm1', 'm2'], 'delivered after the slow one, they ran in its free slot while it ran');
        await new Promise((r) => setTimeout(r, 300)); // a commit round: nothing past the running slow one is committed
        assert.deepEqual((await bus.lag(groupId, [topic])).map((l) => l.lag), [4]);
      } finally {
        release();
      }
      await sub.close();
      assert.deepEqual(done, ['m0', 'm1', 'm2', 'slow']);
      assert.deepEqual((await bus.lag(groupId, [topic])).map((l) => l.lag), [0], 'all committed once the slow one resolved');
    });

    it('closing a subscription waits for the in-flight batch and commits it', async () => {
      const topic = fresh('close');
      const groupId = fresh('g');
      await bus.ensureTopics([topic]);
      await bus.produce(topic, msgs('x', 2));
      let release = (): void => {};
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let started = (): void => {};
      const inFlight = new Promise<void>((r) => {
        started = r;
      });
      let calls = 0;
      let finished = false;
      const sub = await bus.subscribe({
        groupId,
        topics: [topic],
        async handleBatch() {
          calls += 1;
          started();
          await gate;
          finished = true;
        },
      });
      await inFlight;
      const closing = sub.close();
      release();
      await closing;
      assert.equal(finished, true, 'close resolved only after the batch finished');
      assert.equal(calls, 1);
      assert.deepEqual(await bus.lag(groupId, [topic]), [{ topic, partition: 0, lag: 0 }]);
      await sub.close(); // closing twice is harmless
    });

    it('close is clean and final', async () => {
      const other = await makeBus();
      const topic = fresh('final');
      await other.ensureTopics([topic]);
      await other.produce(topic, msgs('f', 1));
      const sub = await other.subscribe({ groupId: fresh('g'), topics: [topic], handleBatch: async () => {} });
      await other.close();
      await other.close();
      await sub.close();
      await assert.rejects(other.produce(topic, msgs('f', 1)), (err: Error & { code?: string }) => err.code === 'BUS_CLOSED');
    });
  });
}
