// Dead-letter replay: from the failed node when the letter's fields can be rebuilt (a join node
// fires once), from the entry when a blob it needs is gone, never twice, and a dry run submits nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { listDeadLetters } from '../cli/commands/dlq.ts';
import { blob, defineDag, defineOperator, NonRetryableError, startRuntime, type Runtime } from '../framework/index.ts';
import { replayLetters } from '../framework/miner/index.ts';

describe('quarry dlq replay', () => {
  const ITEMS = ['1', '2', '3'];
  let broken = true;
  const calls = new Map<string, number>();
  const count = (op: string) => calls.set(op, (calls.get(op) ?? 0) + 1);
  const sinkKeys: string[] = [];
  const ops = [
    defineOperator({ name: 'first', version: '1', inputs: { n: z.string() }, outputs: { x: z.string() }, async handler({ n }) { count('first'); return { x: `x${n}` }; } }),
    defineOperator({ name: 'left', version: '1', inputs: { x: z.string() }, outputs: { y: z.string() }, async handler({ x }) { count('left'); return { y: `${x}-left` }; } }),
    defineOperator({ name: 'right', version: '1', inputs: { x: z.string() }, outputs: { z: z.string() }, async handler({ x }) { count('right'); return { z: `${x}-right` }; } }),
    defineOperator({
      name: 'joined', version: '1', inputs: { y: z.string(), z: z.string() }, outputs: { out: z.string() },
      async handler({ y, z: zz }, ctx) {
        count('joined');
        if (broken) throw new NonRetryableError('the sink refused', { code: 'SINK_REFUSED' });
        sinkKeys.push(ctx.trigger.idempotencyKey);
        return { out: `${y}+${zz}` };
      },
    }),
    defineOperator({ name: 'fetch', version: '1', inputs: { n: z.string() }, outputs: { bytes: blob() }, async handler({ n }) { count('fetch'); return { bytes: new TextEncoder().encode(`bytes of ${n}`) }; } }),
    defineOperator({
      name: 'measure', version: '1', inputs: { bytes: blob() }, outputs: { size: z.number() },
      async handler({ bytes }) {
        if (broken) throw new NonRetryableError('cannot measure', { code: 'MEASURE_FAILED' });
        return { size: bytes.length };
      },
    }),
  ];
  const dags = [
    defineDag({ name: 'joins', source: ['n'], keep: ['out'] }, [
      { id: 'first', operator: 'first', reads: ['n'], writes: ['x'] },
      { id: 'left', operator: 'left', after: ['first'], reads: ['x'], writes: ['y'] },
      { id: 'right', operator: 'right', after: ['first'], reads: ['x'], writes: ['z'] },
      { id: 'joined', operator: 'joined', after: ['left', 'right'], reads: ['y', 'z'], writes: ['out'] },
    ]),
    defineDag({ name: 'blobs', source: ['n'], blobs: ['bytes'], keep: ['size'] }, [
      { id: 'fetch', operator: 'fetch', reads: ['n'], writes: ['bytes'] },
      { id: 'measure', operator: 'measure', after: ['fetch'], reads: ['bytes'], writes: ['size'] },
    ]),
  ];
  const replay = (rt: Runtime, letters: Awaited<ReturnType<typeof listDeadLetters>>, dryRun = false) =>
    replayLetters(letters, { plans: rt.plans, blobs: rt.blobs, ledger: rt.ledger, sink: { submit: (items) => rt.submit(items) } }, { dryRun });

  it('resumes at the failed node, falls back to the entry when a blob is gone, and replays once', async () => {
    const rt = await startRuntime({ dags, operators: ops });
    try {
      await rt.submit(ITEMS.flatMap((n) => dags.map((d) => ({ dag: d.name, itemKey: `item-${n}`, source: { n } }))));
      await rt.idle();
      const letters = [...await listDeadLetters(rt.bus, 'quarry', 'joins'), ...await listDeadLetters(rt.bus, 'quarry', 'blobs')];
      assert.deepEqual(letters.map((l) => `${l.trigger?.dag}/${l.node}/${l.errorCode}`).sort(), [...ITEMS.map(() => 'blobs/measure/MEASURE_FAILED'), ...ITEMS.map(() => 'joins/joined/SINK_REFUSED')]);
      const dead = new Map(letters.map((l) => [`${l.trigger!.dag}/${l.trigger!.itemKey}`, l.trigger!.messageId]));
      const before = new Map(calls);

      // A dry run says what it would do and submits nothing.
      const dry = await replay(rt, letters, true);
      assert.deepEqual(dry.map((l) => `${l.dag}:${l.from}:${l.status}`).sort(), [...ITEMS.map(() => 'blobs:entry:would-replay'), ...ITEMS.map(() => 'joins:node:would-replay')]);
      assert.ok(dry.filter((l) => l.dag === 'blobs').every((l) => /blob `bytes` no longer exists/.test(l.why)), JSON.stringify(dry));
      await rt.idle();
      assert.deepEqual(new Map(calls), before, 'a dry run runs nothing');
      for (const l of dry) assert.equal(await rt.ledger.get({ dag: l.dag, messageId: l.replayId }), null);

      broken = false;
      const lines = await replay(rt, letters);
      assert.deepEqual(lines.map((l) => l.status), lines.map(() => 'replayed'));
      await rt.idle();
      for (const n of ITEMS) {
        const joined = await rt.ledger.findByKey('joins', `item-${n}`);
        assert.equal(joined?.state, 'completed');
        assert.equal(joined?.kept?.out, `"x${n}-left+x${n}-right"`, 'the join read the fields the letter carried');
        assert.equal(joined?.parentId, dead.get(`joins/item-${n}`));
        assert.equal((await rt.ledger.findByKey('blobs', `item-${n}`))?.kept?.size, String(`bytes of ${n}`.length));
      }
      // Resumed at the join: nothing upstream ran again, the join ran once per item; the blob DAG started over.
      for (const op of ['first', 'left', 'right']) assert.equal(calls.get(op), before.get(op), `${op} did not run again`);
      assert.equal(calls.get('joined'), before.get('joined')! + ITEMS.length);
      assert.equal(calls.get('fetch'), before.get('fetch')! + ITEMS.length);
      assert.deepEqual(sinkKeys.sort(), ITEMS.map((n) => dead.get(`joins/item-${n}`)!).sort(), 'the sink sees the dead item\'s idempotency key');

      // A second replay of the same letters runs nothing.
      const again = await replay(rt, letters);
      assert.deepEqual(again.map((l) => l.status), again.map(() => 'already-replayed'));
      await rt.idle();
      assert.equal(sinkKeys.length, ITEMS.length);
    } finally {
      await rt.close();
    }
  });

  it('refuses to resume at a node the DAG does not have, naming it', async () => {
    const rt = await startRuntime({ dags, operators: ops });
    try {
      const [r] = await rt.submit([{ dag: 'joins', itemKey: 'k', source: { n: '1' }, originId: 'o', resume: { node: 'nope', fields: {} } }]);
      assert.equal(r?.status, 'rejected');
      assert.match((r as { reason: string }).reason, /no such node.*nope|nope.*no such node/);
    } finally {
      await rt.close();
    }
  });
});
