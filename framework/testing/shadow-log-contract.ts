// The conformance suite every ShadowLog adapter's test calls:
//   shadowLogContract('memory', async (keep) => createMemoryShadowLog({ keep }));
// Each case gets a fresh, empty adapter keeping `keep` disagreements per node, and closes it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ShadowLog, ShadowOutcome } from '../shadow-log/index.ts';

const outcome = (n: number, fields: Record<string, boolean>, extra: Partial<ShadowOutcome> = {}): ShadowOutcome => ({
  shadow: 'ocr-next', atMs: 1_000 + n, itemKey: `k${n}`, messageId: `m${n}`, tenant: 'default', fields, ...extra,
});

export function shadowLogContract(name: string, makeAdapter: (keep: number) => Promise<ShadowLog>): void {
  describe(`ShadowLog contract: ${name}`, () => {
    const withLog = (keep: number, fn: (log: ShadowLog) => Promise<void>) => async () => {
      const log = await makeAdapter(keep);
      try {
        await fn(log);
      } finally {
        await log.close();
      }
    };

    it('reports nothing for a node never recorded', withLog(10, async (log) => {
      assert.deepEqual(await log.report('d', 'n'), { dag: 'd', node: 'n', shadows: [], samples: [] });
    }));

    it('counts per shadow and per field; keeps disagreements (and failures), not agreements', withLog(10, async (log) => {
      await log.record('d', 'n', [
        outcome(1, { text: true, lang: true }),
        outcome(2, { text: false, lang: true }, { differences: [{ field: 'text', primary: '"a"', shadow: '"b"' }] }),
      ]);
      await log.record('d', 'n', [outcome(3, {}, { failed: { status: 'RETRY', code: 'DEADLINE_EXCEEDED', message: 'slow' } })]);
      const r = await log.report('d', 'n');
      assert.deepEqual(r.shadows, [{
        shadow: 'ocr-next', compared: 3, agreed: 1, failed: 1,
        fields: [{ field: 'lang', agree: 2, disagree: 0 }, { field: 'text', agree: 1, disagree: 1 }],
      }]);
      assert.deepEqual(r.samples.map((s) => s.itemKey), ['k3', 'k2'], 'newest first, agreements not kept');
      assert.deepEqual(r.samples[0]!.failed, { status: 'RETRY', code: 'DEADLINE_EXCEEDED', message: 'slow' });
      assert.deepEqual(r.samples[1], outcome(2, { text: false, lang: true }, { differences: [{ field: 'text', primary: '"a"', shadow: '"b"' }] }), 'a sample comes back as recorded');
    }));

    it('keeps a bounded sample: the latest disagreements only', withLog(3, async (log) => {
      for (let i = 0; i < 5; i++) await log.record('d', 'n', [outcome(2 * i, { f: false }), outcome(2 * i + 1, { f: false })]);
      const r = await log.report('d', 'n');
      assert.deepEqual(r.samples.map((s) => s.itemKey), ['k9', 'k8', 'k7']);
      assert.equal(r.shadows[0]!.compared, 10, 'counts are not bounded by the sample');
      assert.deepEqual((await log.report('d', 'n', { samples: 1 })).samples.map((s) => s.itemKey), ['k9']);
      assert.deepEqual((await log.report('d', 'n', { samples: 0 })).samples, []);
    }));

    it('keeps nodes and shadow operators apart, and forgets a node on clear', withLog(10, async (log) => {
      await log.record('d', 'a', [outcome(1, { f: false })]);
      await log.record('d', 'b', [outcome(2, { f: true }), outcome(3, { f: true }, { shadow: 'ocr-v3' })]);
      await log.record('e', 'a', [outcome(4, { f: true })]);
      assert.deepEqual((await log.report('d', 'a')).shadows.map((s) => [s.shadow, s.compared, s.agreed]), [['ocr-next', 1, 0]]);
      assert.deepEqual((await log.report('d', 'b')).shadows.map((s) => [s.shadow, s.compared, s.agreed]), [['ocr-next', 1, 1], ['ocr-v3', 1, 1]]);
      assert.deepEqual((await log.report('d', 'b')).samples, []);
      await log.clear('d', 'a');
      assert.deepEqual(await log.report('d', 'a'), { dag: 'd', node: 'a', shadows: [], samples: [] });
      assert.equal((await log.report('e', 'a')).shadows[0]!.compared, 1);
    }));

    it('an empty batch records nothing', withLog(10, async (log) => {
      await log.record('d', 'n', []);
      assert.deepEqual((await log.report('d', 'n')).shadows, []);
    }));
  });
}
