// The item ledger's property test: every item ends exactly once under random interleavings.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ItemLedger, ItemRef } from '../../item-ledger/index.ts';
import { advance, nextSeq, openItem } from './ledger-fixtures.ts';

// ——— the property: a small DAG a → {b, c} → d (join), driven by a simulated at-least-once bus ———
// A delivery claims its token, works, commits, then produces its successors. A worker may crash
// before its commit (the bus redelivers once the lease ran out) or between its commit and the
// produce (the bus redelivers at once: its claim reports what to produce again).

const SUCCESSORS: Record<string, string[]> = { a: ['b', 'c'], b: ['d'], c: ['d'], d: [] };
const JOIN_EXPECTS = ['b', 'c'];
const LEASE_MS = 1000;

interface Move { pick: number; kind: 'step' | 'dup' | 'crash' }
interface Schedule { filterAtC: boolean; steps: Move[] }
export const scheduleArb: fc.Arbitrary<Schedule> = fc.record({
  filterAtC: fc.boolean(),
  steps: fc.array(fc.record({ pick: fc.nat(), kind: fc.constantFrom<Move['kind']>('step', 'step', 'step', 'step', 'dup', 'crash') }), { maxLength: 80 }),
});

type Phase = 'claim' | 'work' | 'commit' | 'produce';
interface Delivery { id: number; token: string; phase: Phase; waiting?: boolean; end?: boolean }

export async function runSchedule(ledger: ItemLedger, clock: { t: number }, { filterAtC, steps }: Schedule): Promise<void> {
  const dag = `prop-${process.pid}-${nextSeq()}`;
  const ref: ItemRef = { dag, messageId: 'm1' };
  assert.deepEqual(await ledger.open([openItem(ref, ['a<'])]), [{ status: 'opened' }]);
  let nextId = 0;
  let actors: Delivery[] = [{ id: nextId++, token: 'a<', phase: 'claim' }];
  const runs: Record<string, number> = { a: 0, b: 0, c: 0, d: 0 };
  const committed = new Set<string>();
  let terminals = 0;
  let crashed = false;
  let budget = 0;
  const deliver = (token: string): void => void actors.push({ id: nextId++, token, phase: 'claim' });

  const move = async (actor: Delivery): Promise<void> => {
    const [node, from] = actor.token.split('<') as [string, string];
    const drop = (): void => void (actors = actors.filter((x) => x !== actor));
    switch (actor.phase) {
      case 'claim': {
        const [c] = await ledger.claim([{ ref, token: actor.token, reads: [], ...(node === 'd' ? { join: { node, from, expected: JOIN_EXPECTS } } : {}) }], { owner: `owner-${actor.id}`, leaseMs: LEASE_MS });
        if (c!.status === 'done') {
          c!.repair.forEach(deliver);
          return drop();
        }
        assert.ok(c!.status !== 'unknown' && c!.status !== 'stale', `${actor.token}: ${c!.status}`);
        // Once committed, a token is never handed out again, whatever is redelivered.
        assert.ok(c!.status === 'busy' || !committed.has(actor.token), `${actor.token} was claimed after its commit`);
        if (c!.status === 'busy') return; // stays queued; tried again later
        actor.waiting = c!.status === 'waiting';
        actor.phase = actor.waiting ? 'commit' : 'work';
        return;
      }
      case 'work':
        runs[node]! += 1;
        actor.end = node === 'c' && filterAtC;
        actor.phase = 'commit';
        return;
      case 'commit': {
        const next = actor.waiting || actor.end ? [] : SUCCESSORS[node]!.map((succ) => `${succ}<${node}`);
        const [o] = await ledger.commit([advance(ref, actor.token, { successors: next, ...(actor.end ? { end: { state: 'filtered', node: 'c', reason: 'not-an-image' } } : {}) })]);
        assert.ok(o!.status === 'ok' || o!.status === 'already', `${actor.token} commit: ${o!.status}`);
        if (o!.status === 'ok' && o!.terminal) terminals += 1;
        committed.add(actor.token);
        actor.phase = 'produce';
        return;
      }
      case 'produce':
        if (!actor.waiting && !actor.end) SUCCESSORS[node]!.forEach((succ) => deliver(`${succ}<${node}`));
        return drop();
    }
  };

  for (let i = 0; actors.length > 0; i++) {
    assert.ok(++budget < 5000, 'the schedule never drained');
    const step = steps[i];
    if (step === undefined) {
      // Choices used up: drain, letting deliveries that hold a lease go first.
      await move(actors.find((x) => x.phase !== 'claim') ?? actors[0]!);
      continue;
    }
    const actor = actors[step.pick % actors.length]!;
    if (step.kind === 'dup') deliver(actor.token);
    else if (step.kind === 'crash' && actor.phase !== 'claim') {
      // The worker dies; the bus redelivers its trigger (after the lease, if it held one).
      crashed = true;
      actors = actors.filter((x) => x !== actor);
      deliver(actor.token);
      if (actor.phase !== 'produce') clock.t += LEASE_MS;
    } else await move(actor);
  }

  assert.equal(terminals, 1, 'exactly one commit ends the item');
  const record = await ledger.get(ref);
  assert.equal(record?.state, filterAtC ? 'filtered' : 'completed');
  if (filterAtC) assert.equal(record?.reason, 'not-an-image');
  assert.deepEqual(await ledger.counts(dag), { 'in-flight': 0, completed: filterAtC ? 0 : 1, filtered: filterAtC ? 1 : 0, 'dead-lettered': 0, quarantined: 0 });
  assert.deepEqual(await ledger.inFlight(dag), []);
  // Without crashes each node runs exactly once; with them, at least once.
  if (!crashed) assert.deepEqual(runs, { a: 1, b: 1, c: 1, d: filterAtC ? 0 : 1 });
  else assert.ok(runs.a! >= 1 && runs.b! >= 1 && runs.c! >= 1 && (filterAtC ? runs.d === 0 : runs.d! >= 1));
}
