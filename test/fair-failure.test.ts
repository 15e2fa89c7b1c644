// Fair failure handling, against real operator processes that crash, go away and restart:
// quarantine means "this input crashes operators" (and is remembered by its fingerprint), all
// instances unreachable is backpressure (the item waits without spending attempts), and a
// routine restart of every instance quarantines nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineDag, type DagSpec } from '../framework/dag/index.ts';
import type { ItemRecord } from '../framework/item-ledger/index.ts';
import { defineOperator, serveOperators } from '../framework/operator-sdk/index.ts';
import { startRuntime, type Runtime } from '../framework/runtime/index.ts';
import { restartable, type Restartable } from './fixtures/restartable.ts';

const OPERATOR = ['--import', 'tsx', fileURLToPath(new URL('./fixtures/fair-operator.ts', import.meta.url))];
const dag = (name: string): DagSpec => defineDag({ name, source: ['text'], keep: ['ok'] }, [
  { id: 'work', operator: 'fragile', reads: ['text'], writes: ['ok'], retry: { maxAttempts: 4, backoffMs: 200, maxBackoffMs: 1_000 } },
]);

async function record(rt: Runtime, dagName: string, key: string): Promise<ItemRecord> {
  const r = await rt.ledger.findByKey(dagName, key);
  assert.ok(r, `item ${dagName}/${key} has a record`);
  return r;
}
const history = (r: ItemRecord): string[] => r.events.map((e) => `${e.status}${e.code ? `:${e.code}` : ''}@${e.attempt ?? 0}`);

/** Wait until `check` holds (the processes run at their own pace); fail with `what` otherwise. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('fair failure handling with real operator processes', () => {
  let x: Restartable;
  let y: Restartable;
  let rt: Runtime;
  before(async () => {
    [x, y] = await Promise.all([restartable(OPERATOR.concat('x'), { restartOnCrash: true }), restartable(OPERATOR.concat('y'), { restartOnCrash: true })]);
    rt = await startRuntime({ dags: [dag('fair'), dag('fair-b')], endpoints: [x.address, y.address] });
  });
  after(async () => {
    await rt?.close();
    x?.close();
    y?.close();
  });
  const crashes = (): number => x.crashes() + y.crashes();

  it('quarantines an input that crashes two instances while its batch-mates complete; an identical input is stopped after one crash', async () => {
    await rt.submit(['p', 'q', 'poison', 'r'].map((text) => ({ dag: 'fair', itemKey: `first-${text}`, source: { text } })));
    await rt.idle(60_000);
    const poison = await record(rt, 'fair', 'first-poison');
    assert.equal(poison.state, 'quarantined', history(poison).join(' '));
    assert.match(poison.reason ?? '', /OPERATOR_CRASHED: the input crashed operator `fragile` on 2 instances/);
    for (const k of ['p', 'q', 'r']) {
      const mate = await record(rt, 'fair', `first-${k}`);
      assert.equal(mate.state, 'completed', `batch-mate ${k}: ${history(mate).join(' ')}`);
      assert.match(mate.kept?.ok ?? '', new RegExp(`^"[xy]:${k}"$`));
    }
    const isolated = crashes();
    assert.ok(isolated >= 2, `the poison input crashed ${isolated} instance(s)`);

    // The same input again (another item): its fingerprint is known, so its first crash stops it.
    await until('both instances up again', () => rt.directory.clients().get('fragile')!.health().then(() => true, () => false)); // health asks every instance
    await rt.submit([{ dag: 'fair', itemKey: 'second-poison', source: { text: 'poison' } }]);
    await rt.idle(60_000);
    const second = await record(rt, 'fair', 'second-poison');
    assert.equal(second.state, 'quarantined', history(second).join(' '));
    assert.match(second.reason ?? '', /its input crashed operators before/);
    assert.equal(crashes() - isolated, 1, 'the known poison crashed one instance, not two');
    assert.equal(history(second).at(-1), 'quarantined:OPERATOR_DROPPED@0', 'stopped at its first attempt');

    // The fingerprint names the DAG and node: the same input elsewhere is not known there.
    const before = crashes();
    await rt.submit([{ dag: 'fair-b', itemKey: 'other-dag-poison', source: { text: 'poison' } }]);
    await rt.idle(60_000);
    const elsewhere = await record(rt, 'fair-b', 'other-dag-poison');
    assert.equal(elsewhere.state, 'quarantined');
    assert.match(elsewhere.reason ?? '', /OPERATOR_CRASHED: the input crashed operator `fragile` on 2 instances/, 'isolated anew, not known');
    assert.ok(crashes() - before >= 2, history(elsewhere).join(' '));
  });
  it('all instances unreachable is backpressure: the item waits without spending its attempts, and completes when one is back', async () => {
    await Promise.all([x.stop('SIGKILL'), y.stop('SIGKILL')]);
    await rt.submit([{ dag: 'fair', itemKey: 'waits', source: { text: 'w' } }]);
    // More pushbacks than the node has attempts: had they counted, the item would be dead-lettered.
    await until('five pushbacks', async () => ((await rt.ledger.findByKey('fair', 'waits'))?.events.filter((e) => e.status === 'backpressure').length ?? 0) >= 5);
    assert.equal((await record(rt, 'fair', 'waits')).state, 'in-flight');
    await Promise.all([x.start(), y.start()]);
    await rt.idle(60_000);
    const r = await record(rt, 'fair', 'waits');
    assert.equal(r.state, 'completed', history(r).join(' '));
    const waits = r.events.filter((e) => e.status === 'backpressure');
    assert.ok(waits.length >= 5 && waits.every((e) => e.code === 'OPERATOR_UNAVAILABLE'), history(r).join(' '));
    assert.deepEqual([...new Set(r.events.map((e) => e.attempt ?? 0))], [0], `no attempt spent: ${history(r).join(' ')}`);
  });

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`a restart of every instance at once (${signal === 'SIGTERM' ? 'routine: graceful' : 'abrupt'}, down 3 s) quarantines nothing`, async () => {
      const client = rt.directory.clients().get('fragile')!;
      const dropsBefore = client.stats().crashes;
      // A batch in flight when the instances go, and items that arrive while they are down.
      const inFlight = Array.from({ length: 8 }, (_, i) => `${signal}-stall-${i}`);
      const during = Array.from({ length: 16 }, (_, i) => `${signal}-slow-${i}`);
      await rt.submit(inFlight.map((k) => ({ dag: 'fair', itemKey: k, source: { text: k.slice(signal.length + 1) } })));
      await until('a call in flight', async () => client.stats().inFlight > 0).catch(async (err: unknown) => {
        const rs = await Promise.all(inFlight.map((k) => rt.ledger.findByKey('fair', k)));
        throw new Error(`${(err as Error).message}: ${JSON.stringify(client.stats())} ${rs.map((r) => r && history(r).join(' ')).join(' | ')}`);
      });
      const stopped = Promise.all([x.stop(signal), y.stop(signal)]);
      await sleep(100); // the instances refuse new calls (SIGTERM) or are gone (SIGKILL)
      await rt.submit(during.map((k) => ({ dag: 'fair', itemKey: k, source: { text: k.slice(signal.length + 1) } })));
      await stopped;
      await sleep(3_000);
      await Promise.all([x.start(), y.start()]);
      await rt.idle(120_000);
      const records = await Promise.all([...inFlight, ...during].map((k) => record(rt, 'fair', k)));
      const show = (rs: ItemRecord[]) => rs.map((r) => `${r.itemKey}: ${r.state} ${history(r).join(' ')}`).join('\n');
      assert.deepEqual(show(records.filter((r) => r.state !== 'completed')), '', 'every item completed, none quarantined');
      if (signal === 'SIGTERM') {
        assert.ok(records.slice(inFlight.length).every((r) => r.events.some((e) => e.code === 'OPERATOR_UNAVAILABLE')), `the items that came during the outage waited for it:\n${show(records)}`);
        // A graceful stop finishes the calls in flight; the rest waited: nobody spent an attempt.
        assert.deepEqual(show(records.filter((r) => r.events.some((e) => (e.attempt ?? 0) > 0))), '');
        // The calls in flight were finished; items of the batch not yet sent waited like the rest.
        assert.ok(records.slice(0, inFlight.length).some((r) => r.events.length === 1), `the calls in flight were finished:\n${show(records)}`);
        assert.deepEqual(show(records.filter((r) => r.events.length > 1 && !r.events.slice(0, -1).every((e) => e.code === 'OPERATOR_UNAVAILABLE'))), '', 'an item was answered once, or waited for the outage');
      } else {
        // The kill dropped the call in flight, which looks like a crash: its items were tried
        // again (one by one, waiting for an instance to come back), and none was quarantined.
        assert.ok(client.stats().crashes > dropsBefore, 'the kill dropped the call in flight');
      }
    });
  }
});

describe('pressure is not the input\'s fault: RESOURCE_EXHAUSTED spends no attempt; a timeout spends one, never quarantines', () => {
  // A real gRPC service with room for 4 items at once; an input `late-*` is slow (1 s, past the
  // node's 600 ms timeout) the first two times it is asked, then quick (20 ms: far inside the
  // timeout even on a loaded machine). Another operator always
  // hangs (its own DAG, so it never shares a batch with the others).
  const asked = new Map<string, number>();
  const busy = defineOperator({
    name: 'busy', version: '1', maxBatch: 4, inputs: { text: z.string() }, outputs: { ok: z.string() },
    async handler({ text }) {
      const n = (asked.get(text) ?? 0) + 1;
      asked.set(text, n);
      await sleep(text.startsWith('late') && n <= 2 ? 1_000 : 20);
      return { ok: text };
    },
  });
  const stuck = defineOperator({
    name: 'stuck', version: '1', inputs: { text: z.string() }, outputs: { ok: z.string() },
    async handler({ text }) {
      await sleep(1_000);
      return { ok: text };
    },
  });
  const one = defineDag({ name: 'pressed', source: ['text'], keep: ['ok'] }, [
    { id: 'work', operator: 'busy', reads: ['text'], writes: ['ok'], timeoutMs: 600, concurrency: 64, retry: { maxAttempts: 3, backoffMs: 100, maxBackoffMs: 200 } },
  ]);
  const hung = defineDag({ name: 'hung', source: ['text'], keep: ['ok'] }, [
    { id: 'work', operator: 'stuck', reads: ['text'], writes: ['ok'], timeoutMs: 600, retry: { maxAttempts: 3, backoffMs: 100, maxBackoffMs: 200 } },
  ]);

  it('items pushed back by a saturated service spend nothing; timeouts spend an attempt each; an input that always hangs is dead-lettered', async () => {
    const server = await serveOperators([busy, stuck], { port: 0, capacity: 4 });
    const rt = await startRuntime({ dags: [one, hung], endpoints: [server.address] });
    try {
      const keys = [...Array.from({ length: 24 }, (_, i) => `many-${i}`), 'late-a', 'late-b'];
      await rt.submit([...keys.map((k) => ({ dag: 'pressed', itemKey: k, source: { text: k } })), { dag: 'hung', itemKey: 'hang', source: { text: 'hang' } }]);
      await rt.idle(120_000);
      const records = [...await Promise.all(keys.map((k) => record(rt, 'pressed', k))), await record(rt, 'hung', 'hang')];
      const show = (rs: ItemRecord[]) => rs.map((r) => `${r.itemKey}: ${r.state} ${history(r).join(' ')}`).join('\n');
      const timeouts = (r: ItemRecord) => r.events.filter((e) => e.code === 'DEADLINE_EXCEEDED').length;
      const spent = (r: ItemRecord) => Math.max(...r.events.map((e) => e.attempt ?? 0));
      const others = records.filter((r) => r.itemKey !== 'hang');
      assert.deepEqual(show(others.filter((r) => r.state !== 'completed')), '');
      // Push-backs outnumber the attempts; only a timeout (rare here, on a loaded machine) spends one.
      assert.deepEqual(show(others.filter((r) => spent(r) > timeouts(r))), '', 'no attempt spent but by a timeout');
      const codes = new Set(records.flatMap((r) => r.events.map((e) => e.code ?? '')));
      assert.ok(codes.has('BACKPRESSURE'), `the service pushed back (RESOURCE_EXHAUSTED): ${[...codes].join(', ')}`);
      for (const k of ['late-a', 'late-b']) {
        const r = records.find((x) => x.itemKey === k)!;
        assert.ok(timeouts(r) >= 2 && spent(r) >= 2, `${k} timed out twice first, each time on a new attempt: ${history(r).join(' ')}`);
      }
      const hang = records.find((r) => r.itemKey === 'hang')!;
      assert.equal(hang.state, 'dead-lettered', show([hang]));
      assert.match(hang.reason ?? '', /retries exhausted after 3 attempt\(s\): DEADLINE_EXCEEDED/);
    } finally {
      await rt.close();
      await server.close();
    }
  });
});
