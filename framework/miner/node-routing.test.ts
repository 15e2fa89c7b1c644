// Declared routing at run time, embedded: each of a node's `fallback`, `pools` and `shadow`
// changes what happens to its items (the same DAG without them ends differently).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineDag, type OperatorNodeSpec } from '../dag/index.ts';
import { NonRetryableError } from '../errors/index.ts';
import { defineOperator, type OperatorDefinition } from '../operator-sdk/index.ts';
import { startRuntime, type Runtime } from '../runtime/index.ts';
import { startMetrics } from '../telemetry/index.ts';

const io = { inputs: { text: z.string() }, outputs: { words: z.string(), by: z.string() } };
const reader = (name: string, words: (text: string) => string = (t) => t.toUpperCase(), by = name) =>
  defineOperator({ name, version: '1', ...io, async handler({ text }) {
    return { words: words(text), by };
  } });
const primary = defineOperator({ name: 'reader', version: '1', ...io, async handler({ text }) {
  if (text.startsWith('hard')) throw new NonRetryableError(`\`${text}\` is too hard for me`);
  return { words: text.toUpperCase(), by: 'reader' };
} });
// The next version: lower-cases words with an x, and answers `by` like the primary.
const next = reader('reader-next', (t) => (t.includes('x') ? t : t.toUpperCase()), 'reader');
const operators = [primary, reader('reader-big'), reader('reader-vip'), next];

async function withRuntime(routing: Partial<OperatorNodeSpec>, ops: readonly OperatorDefinition[], fn: (rt: Runtime) => Promise<void>): Promise<void> {
  const dag = defineDag({ name: 'routed', source: ['text'], keep: ['words', 'by'] }, [
    { id: 'read', operator: 'reader', reads: ['text'], writes: ['words', 'by'], timeoutMs: 1_500, retry: { maxAttempts: 1 }, ...routing },
  ]);
  const rt = await startRuntime({ dags: [dag], operators: ops });
  try {
    await fn(rt);
  } finally {
    await rt.close();
  }
}

const submit = async (rt: Runtime, items: { key: string; tenant?: string }[]): Promise<Map<string, { state: string; by?: string; words?: string }>> => {
  await rt.submit(items.map(({ key, tenant }) => ({ dag: 'routed', itemKey: key, source: { text: key }, ...(tenant ? { tenant } : {}) })));
  await rt.idle(20_000);
  const out = new Map<string, { state: string; by?: string; words?: string }>();
  for (const { key, tenant } of items) {
    const r = await rt.ledger.findByKey('routed', key, tenant);
    const kept = r?.kept ?? {};
    out.set(key, { state: r?.state ?? 'missing', ...(kept.by ? { by: JSON.parse(kept.by) as string } : {}), ...(kept.words ? { words: JSON.parse(kept.words) as string } : {}) });
  }
  return out;
};

describe('declared routing, embedded', () => {
  it('fallback: the items the primary declines are answered by the fallback operator, the others by the primary', async () => {
    await withRuntime({}, operators, async (rt) => {
      assert.equal((await submit(rt, [{ key: 'hard-0' }])).get('hard-0')?.state, 'dead-lettered', 'without a fallback the declined item fails');
    });
    await withRuntime({ fallback: 'reader-big' }, operators, async (rt) => {
      const got = await submit(rt, [{ key: 'hard-1' }, { key: 'easy' }]);
      assert.deepEqual(got.get('hard-1'), { state: 'completed', by: 'reader-big', words: 'HARD-1' });
      assert.deepEqual(got.get('easy'), { state: 'completed', by: 'reader', words: 'EASY' });
    });
  });

  it('a DAG that routes to an unknown operator is rejected, naming the node and the role', async () => {
    const dag = defineDag({ name: 'routed', source: ['text'], keep: ['words'] }, [
      { id: 'read', operator: 'reader', reads: ['text'], writes: ['words'], fallback: 'reader-gone', pools: { vip: 'reader-nope' } },
    ]);
    await assert.rejects(startRuntime({ dags: [dag], operators }), /no endpoint described operator\(s\) `reader-gone` \(named by routed\/read \(fallback\)\), `reader-nope` \(named by routed\/read \(pool of tenant vip\)\)/);
  });

  it('pools: a tenant with a pool is served by its operator; other tenants by the node\'s', async () => {
    await withRuntime({ pools: { vip: 'reader-vip' } }, operators, async (rt) => {
      const got = await submit(rt, [{ key: 'v', tenant: 'vip' }, { key: 'w', tenant: 'acme' }, { key: 'x' }]);
      assert.deepEqual([...got.values()].map((r) => r.by), ['reader-vip', 'reader', 'reader']);
    });
  });

  it('shadow: answers compared field by field, never used; agreement per field as a metric and in the shadow log', async () => {
    const metrics = startMetrics();
    try {
      await withRuntime({ shadow: { operator: 'reader-next' } }, operators, async (rt) => {
        const got = await submit(rt, [{ key: 'a' }, { key: 'box' }, { key: 'c' }]);
        assert.deepEqual([...got.values()].map((r) => r.words), ['A', 'BOX', 'C'], 'the primary\'s answers are used');
        let report = await rt.shadowLog.report('routed', 'read');
        for (let i = 0; i < 50 && (report.shadows[0]?.compared ?? 0) < 3; i++) report = (await sleep(20), await rt.shadowLog.report('routed', 'read'));
        assert.deepEqual(report.shadows, [{ shadow: 'reader-next', compared: 3, agreed: 2, failed: 0, fields: [{ field: 'by', agree: 3, disagree: 0 }, { field: 'words', agree: 2, disagree: 1 }] }]);
        assert.equal(report.samples.length, 1);
        assert.equal(report.samples[0]!.itemKey, 'box');
        assert.deepEqual(report.samples[0]!.differences, [{ field: 'words', primary: '"BOX"', shadow: '"box"' }]);
        const text = await metrics.scrape();
        assert.match(text, /quarry_shadow_fields_total\{dag="routed",node="read",shadow="reader-next",field="words",result="disagree"[^}]*\} 1\n/);
        assert.match(text, /quarry_shadow_fields_total\{dag="routed",node="read",shadow="reader-next",field="words",result="agree"[^}]*\} 2\n/);
        assert.match(text, /quarry_shadow_items_total\{dag="routed",node="read",shadow="reader-next",result="agree"[^}]*\} 2\n/);
      });
    } finally {
      await metrics.close();
    }
  });

  it('shadow: one that hangs or throws never touches the item; its failure is recorded', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const broken = defineOperator({ name: 'reader-next', version: '2', ...io, async handler({ text }) {
      if (text === 'hang') await released; // ignores its deadline and signal
      throw new Error('shadow blew up');
    } });
    await withRuntime({ shadow: { operator: 'reader-next' }, timeoutMs: 30_000 }, [primary, broken], async (rt) => {
      // Both items end while the shadow still hangs: had the item waited for it, idle() would time out.
      const got = await submit(rt, [{ key: 'hang' }, { key: 'boom' }]);
      assert.deepEqual([...got.values()].map((r) => [r.state, r.by]), [['completed', 'reader'], ['completed', 'reader']]);
      assert.deepEqual((await rt.shadowLog.report('routed', 'read')).shadows, [], 'the shadow has not answered yet');
      release();
      let report = await rt.shadowLog.report('routed', 'read');
      for (let i = 0; i < 150 && (report.shadows[0]?.compared ?? 0) < 2; i++) report = (await sleep(20), await rt.shadowLog.report('routed', 'read'));
      assert.deepEqual(report.shadows.map((s) => [s.compared, s.agreed, s.failed]), [[2, 0, 2]]);
      assert.deepEqual(report.samples.map((s) => [s.itemKey, s.failed?.status, s.failed?.message]).sort(), [['boom', 'FAILED', 'shadow blew up'], ['hang', 'FAILED', 'shadow blew up']]);
    });
  });
});
