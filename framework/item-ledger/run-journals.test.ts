// One journal per run, read together: a run that writes nothing leaves nothing, a new run is not
// held back by the last one's items, readers see the newest record of each key (while a run
// writes, too), and runs older than the retention go when a new one starts.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemorySideCache } from '../side-cache/index.ts';
import { createRunJournal, readRunJournals, type ItemRef, type RunJournal } from './index.ts';

const root = mkdtempSync(join(tmpdir(), 'quarry-run-journals-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(root, `data-${++n}`, 'journal');

const ref: ItemRef = { dag: 'page-ingest', messageId: 'same-id-every-run' };
const openPage = (j: RunJournal, itemKey: string, r: ItemRef = ref) => j.open([{ ref: r, itemKey, tokens: ['spider<'], createdMs: Date.now(), fields: new Map(), dedupe: { windowMs: 3_600_000 } }]);
const end = (j: RunJournal, r: ItemRef, reason?: string) =>
  j.commit([{ ref: r, token: 'spider<', kind: 'advance', ...(reason ? { end: { state: 'filtered' as const, node: 'spider', reason } } : {}), event: { node: 'spider', status: reason ? 'filtered' : 'ok', atMs: Date.now(), tookMs: 4 } }]);

describe('run journals', () => {
  it('a run that writes nothing leaves no journal, and reading an empty data directory says so', async () => {
    const dir = freshDir();
    const run = createRunJournal({ dir, sideCache: createMemorySideCache() });
    assert.deepEqual(await run.counts('page-ingest'), { 'in-flight': 0, completed: 0, filtered: 0, 'dead-lettered': 0, quarantined: 0 });
    assert.equal(await run.findByKey('page-ingest', 'http://s/'), null);
    await run.close();
    assert.equal(existsSync(dir), false);
    assert.throws(() => readRunJournals(dir), { code: 'JOURNAL_MISSING', message: new RegExp(`No journal at \`${dir}\``) });
  });

  it('each run has its own journal; readers get the newest record of each key, naming its run', async () => {
    const dir = freshDir();
    const first = createRunJournal({ dir, sideCache: createMemorySideCache() });
    await openPage(first, 'http://s/');
    await end(first, ref, 'http-503');
    await openPage(first, 'http://s/only-first', { dag: 'page-ingest', messageId: 'other' });
    await end(first, { dag: 'page-ingest', messageId: 'other' });
    await first.close();

    // The same message id and key a minute later: a new run runs it again, not `ended` or `duplicate`.
    const second = createRunJournal({ dir, sideCache: createMemorySideCache() });
    assert.deepEqual(await openPage(second, 'http://s/'), [{ status: 'opened' }]);
    const reading = readRunJournals(dir);
    try {
      assert.equal(reading.runs.length, 2);
      assert.deepEqual(reading.runs.map((r) => r.path), [second.path, first.path]);
      assert.deepEqual(reading.runs.map((r) => [r.pid, r.running]), [[process.pid, true], [process.pid, false]]);
      const live = reading.findByKey('page-ingest', 'http://s/');
      assert.deepEqual([live?.record.state, live?.run.path], ['in-flight', second.path], 'a run being written is read as it goes');
    } finally {
      await reading.close();
    }
    await end(second, ref);
    await second.close();

    const after = readRunJournals(dir);
    try {
      const hit = after.findByKey('page-ingest', 'http://s/');
      assert.deepEqual([hit?.record.state, hit?.record.events.map((e) => e.tookMs), hit?.run.path, hit?.run.running], ['completed', [4], second.path, false]);
      assert.equal(after.findByKey('page-ingest', 'http://s/only-first')?.run.path, first.path);
      assert.equal(after.findByKey('image-ingest', 'http://s/'), null);
      assert.deepEqual([...after.latest()].map((h) => [h.record.itemKey, h.record.state]).sort(), [['http://s/', 'completed'], ['http://s/only-first', 'completed']]);
    } finally {
      await after.close();
    }
  });

  it('removes runs nobody writes whose last write is older than the retention, when a new run starts', async () => {
    const dir = freshDir();
    const old = createRunJournal({ dir, sideCache: createMemorySideCache(), retentionMs: 60_000 });
    await openPage(old, 'http://s/');
    await old.close();
    const recent = createRunJournal({ dir, sideCache: createMemorySideCache(), retentionMs: 60_000 });
    await openPage(recent, 'http://s/');
    await recent.close();
    const aged = (Date.now() - 61_000) / 1000;
    for (const f of ['', 'data.mdb']) utimesSync(join(old.path, f), aged, aged);
    mkdirSync(join(dir, 'not-a-run'));
    const next = createRunJournal({ dir, sideCache: createMemorySideCache(), retentionMs: 60_000 });
    assert.equal(existsSync(old.path), true, 'nothing is removed before the new run writes');
    await openPage(next, 'http://s/');
    assert.deepEqual(readdirSync(dir).sort(), [recent.path, next.path, join(dir, 'not-a-run')].map((p) => p.slice(dir.length + 1)).sort());
    await next.close();
  });
});
