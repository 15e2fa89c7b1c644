// The LMDB ledger runs the whole contract, then what only a journal on disk can show: another
// process opening the same path finds every item where the last commit left it, a process
// killed mid-run leaves every call either wholly on disk or not at all, and one process writes
// a journal at a time.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { itemLedgerContract } from '../testing/index.ts';
import { createMemorySideCache, type SideCache } from '../side-cache/index.ts';
import { createLmdbItemLedger, type ItemLedger, type ItemRecord } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'quarry-lmdb-ledger-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(dir, `journal-${++n}`);

itemLedgerContract('lmdb', async ({ now, retentionMs }) => {
  const sideCache = createMemorySideCache();
  return { ledger: createLmdbItemLedger({ path: freshPath(), sideCache, now, ...(retentionMs ? { retentionMs } : {}) }), sideCache };
});

const LEDGER = fileURLToPath(new URL('./index.ts', import.meta.url));
const SIDE_CACHE = fileURLToPath(new URL('../side-cache/index.ts', import.meta.url));
const enc = new TextEncoder();
const fields = (o: Record<string, string>) => new Map(Object.entries(o).map(([k, v]) => [k, enc.encode(JSON.stringify(v))]));

/**
 * Run `body` (JavaScript, with `ledger`, `fields` and `say(value)` in scope) in another process
 * on the journal at `path`. Each `say` is a line the returned iterator yields; the process ends
 * killed (SIGKILL) once the body is done, without closing anything, as a crash would leave it.
 */
function inAnotherProcess(path: string, body: string) {
  const code = `
    const { createLmdbItemLedger } = await import(${JSON.stringify(LEDGER)});
    const { createMemorySideCache } = await import(${JSON.stringify(SIDE_CACHE)});
    const ledger = createLmdbItemLedger({ path: ${JSON.stringify(path)}, sideCache: createMemorySideCache() });
    const enc = new TextEncoder();
    const fields = (o) => new Map(Object.entries(o).map(([k, v]) => [k, enc.encode(JSON.stringify(v))]));
    const say = (v) => process.stdout.write(JSON.stringify(v) + '\\n');
    ${body}
    process.kill(process.pid, 'SIGKILL');`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, lines: createInterface({ input: child.stdout })[Symbol.asyncIterator](), exited, stderr: () => stderr };
}

async function nextLine<T>(p: ReturnType<typeof inAnotherProcess>): Promise<T> {
  const { value, done } = await p.lines.next();
  assert.ok(!done, `the other process said nothing: ${p.stderr()}`);
  return JSON.parse(value as string) as T;
}

describe('LMDB item ledger: a journal that outlives its process', () => {
  it('a second process sees every ended record with its history, and carries on with the live items', async () => {
    const path = freshPath();
    const writer = inAnotherProcess(path, `
      const r = (m) => ({ dag: 'page-ingest', messageId: m });
      const item = (m, key, tokens) => ({ ref: r(m), itemKey: key, tokens, createdMs: Date.now(), traceId: 'tr-' + m, fields: fields({ url: key }) });
      await ledger.open([item('a', 'https://s/a', ['a<']), item('b', 'https://s/b', ['a<']), item('c', 'https://s/c', ['a<'])]);
      const lease = { owner: 'w1', leaseMs: 600000 };
      await ledger.claim([r('a'), r('b'), r('c')].map((ref) => ({ ref, token: 'a<', reads: ['url'] })), lease);
      const at = Date.now();
      await ledger.commit([
        { ref: r('a'), token: 'a<', kind: 'advance', successors: ['b<a'], writes: fields({ title: 'A' }), event: { node: 'a', status: 'ok', atMs: at, tookMs: 12 } },
        { ref: r('b'), token: 'a<', kind: 'advance', end: { state: 'filtered', node: 'a', reason: 'robots-disallowed' }, event: { node: 'a', status: 'filtered', atMs: at, tookMs: 3 } },
        { ref: r('c'), token: 'a<', kind: 'advance', successors: ['b<a', 'c<a'], event: { node: 'a', status: 'ok', atMs: at, tookMs: 5 } },
      ]);
      await ledger.claim([{ ref: r('a'), token: 'b<a', reads: ['title'] }, { ref: r('c'), token: 'b<a', reads: [] }], lease);
      await ledger.commit([{ ref: r('a'), token: 'b<a', kind: 'advance', kept: { title: '"A"' }, event: { node: 'b', status: 'ok', atMs: at + 1, tookMs: 40 } }]);
      await ledger.markPoison(['fp-1'], 'page-ingest/a');
      say({ records: [await ledger.get(r('a')), await ledger.get(r('b')), await ledger.get(r('c'))], counts: await ledger.counts('page-ingest') });
    `);
    const before = await nextLine<{ records: ItemRecord[]; counts: Record<string, number> }>(writer);
    await writer.exited;
    assert.deepEqual(before.records.map((r) => r.state), ['completed', 'filtered', 'in-flight']);

    // The crashed writer's lock is stale: this process takes the journal over.
    const ledger = createLmdbItemLedger({ path, sideCache: createMemorySideCache() });
    try {
      const ref = (m: string) => ({ dag: 'page-ingest', messageId: m });
      assert.deepEqual([await ledger.get(ref('a')), await ledger.get(ref('b')), await ledger.get(ref('c'))], before.records);
      assert.deepEqual((await ledger.get(ref('a')))?.events.map((e) => [e.node, e.tookMs]), [['a', 12], ['b', 40]]);
      assert.deepEqual(await ledger.findByKey('page-ingest', 'https://s/b'), before.records[1]);
      assert.deepEqual(await ledger.counts('page-ingest'), before.counts);
      assert.deepEqual((await ledger.inFlight('page-ingest')).map((r) => r.messageId), ['c']);
      // The live item's tokens survived; its tuple lived in the other process's memory. Claims
      // are not written: the dead writer's claim of `b<a` (never committed) left no lease to wait
      // out, and `b<a` counts as never claimed, so its trigger is produced again.
      const owner = { owner: 'w2', leaseMs: 1000 };
      assert.deepEqual(await ledger.claim([{ ref: ref('c'), token: 'a<', reads: [] }], owner), [{ status: 'done', repair: ['b<a', 'c<a'] }]);
      assert.deepEqual(await ledger.claim([{ ref: ref('c'), token: 'b<a', reads: [] }], owner), [{ status: 'run', fields: null }]);
      assert.deepEqual(await ledger.claim([{ ref: ref('c'), token: 'c<a', reads: ['url'] }], owner), [{ status: 'run', fields: null }]);
      // A lease this process takes holds against another owner, and a committed claim is kept.
      assert.deepEqual(await ledger.claim([{ ref: ref('c'), token: 'b<a', reads: [] }], { owner: 'w3', leaseMs: 1000 }), [{ status: 'busy' }]);
      assert.deepEqual(await ledger.open([{ ref: ref('a'), itemKey: 'https://s/a', tokens: ['a<'], createdMs: 0, fields: new Map() }]), [{ status: 'ended', state: 'completed' }]);
      assert.deepEqual(await ledger.open([{ ref: ref('d'), itemKey: 'https://s/b', tokens: ['a<'], createdMs: 0, fields: new Map(), dedupe: { windowMs: 3_600_000 } }]), [{ status: 'duplicate', of: 'b' }]);
      assert.deepEqual(await ledger.isPoison(['fp-1', 'fp-2']), [true, false]);
    } finally {
      await ledger.close();
    }
  });

  it('a join arrival survives once its token commits (claims themselves are not written)', async () => {
    const path = freshPath();
    const join = (from: string) => ({ node: 'j', from, expected: ['a', 'b'] });
    const writer = inAnotherProcess(path, `
      const r = { dag: 'd', messageId: 'm' };
      const lease = { owner: 'w1', leaseMs: 600000 };
      await ledger.open([{ ref: r, itemKey: 'k', tokens: ['j<a', 'j<b'], createdMs: Date.now(), fields: fields({ x: '1' }) }]);
      const waited = await ledger.claim([{ ref: r, token: 'j<a', reads: [], join: ${JSON.stringify(join('a'))} }], lease);
      await ledger.commit([{ ref: r, token: 'j<a', kind: 'advance' }]);
      say(waited);
    `);
    assert.deepEqual(await nextLine(writer), [{ status: 'waiting' }]);
    await writer.exited;
    const ledger = createLmdbItemLedger({ path, sideCache: createMemorySideCache() });
    try {
      const ref = { dag: 'd', messageId: 'm' };
      const [fired] = await ledger.claim([{ ref, token: 'j<b', reads: [], join: join('b') }], { owner: 'w2', leaseMs: 1000 });
      assert.equal(fired?.status, 'run', 'the arrival from `a` was on disk: `b` completes the join');
    } finally {
      await ledger.close();
    }
  });

  it('a process killed at any moment leaves each call wholly on disk or not at all', async () => {
    const path = freshPath();
    const writer = inAnotherProcess(path, `
      say('ready');
      for (let round = 0; round < 400; round++) {
        const refs = Array.from({ length: 20 }, (_, i) => ({ dag: 'd', messageId: 'm-' + round + '-' + i }));
        await ledger.open(refs.map((ref) => ({ ref, itemKey: ref.messageId, tokens: ['a<', 'b<'], createdMs: round, fields: fields({ x: '1' }) })));
        await ledger.commit(refs.map((ref) => ({ ref, token: 'a<', kind: 'advance', event: { node: 'a', status: 'ok', atMs: round } })));
        await ledger.commit(refs.map((ref) => ({ ref, token: 'b<', kind: 'advance', event: { node: 'b', status: 'ok', atMs: round } })));
      }
    `);
    await nextLine(writer);
    await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 300));
    writer.child.kill('SIGKILL');
    await writer.exited;

    const ledger: ItemLedger = createLmdbItemLedger({ path, sideCache: createMemorySideCache() });
    try {
      const seen = { live: 0, completed: 0, halfway: 0 };
      for (let round = 0; round < 400; round++) {
        const records = await Promise.all(Array.from({ length: 20 }, (_, i) => ledger.get({ dag: 'd', messageId: `m-${round}-${i}` })));
        for (const r of records) {
          if (r === null) continue;
          if (r.state === 'completed') {
            seen.completed += 1;
            assert.deepEqual(r.events.map((e) => e.node), ['a', 'b']);
          } else {
            seen.live += 1;
            if (r.events.length === 1) seen.halfway += 1;
          }
        }
      }
      const counts = await ledger.counts('d');
      assert.ok(seen.completed > 0 && seen.completed < 400 * 20, `killed mid-run (${JSON.stringify(seen)})`);
      assert.equal(counts.completed, seen.completed, 'the completed count moved with the records');
      assert.equal(counts['in-flight'], seen.live, 'the in-flight count moved with the records');
      assert.equal(seen.live % 20, 0, 'a batch opened or ended together');
      assert.equal(seen.halfway % 20, 0, 'a batch of steps committed together');
      assert.equal((await ledger.inFlight('d', 10_000)).length, seen.live);
    } finally {
      await ledger.close();
    }
  });

  it('one process writes a journal at a time; the second is told which one holds it', async () => {
    const path = freshPath();
    const holder = inAnotherProcess(path, `say(process.pid); await new Promise(() => setInterval(() => {}, 1000));`);
    const pid = await nextLine<number>(holder);
    try {
      assert.throws(() => createLmdbItemLedger({ path, sideCache: createMemorySideCache() }), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'JOURNAL_LOCKED');
        assert.match(err.message, new RegExp(`journal at \`${path}\` is being written by process ${pid}`));
        return true;
      });
    } finally {
      holder.child.kill('SIGKILL');
      await holder.exited;
    }
  });

  it('keeps items whose keys are longer than LMDB keys may be, under their full key', async () => {
    const path = freshPath();
    const key = `https://s/${'x'.repeat(5000)}.jpg`;
    const ref = { dag: 'image-ingest', messageId: `m-${'y'.repeat(3000)}` };
    let ledger = createLmdbItemLedger({ path, sideCache: createMemorySideCache() });
    await ledger.open([{ ref, itemKey: key, tokens: ['a<'], createdMs: 1, fields: fields({ url: key }) }]);
    await ledger.commit([{ ref, token: 'a<', kind: 'advance', end: { state: 'filtered', node: 'a', reason: 'too-large' } }]);
    await ledger.close();
    ledger = createLmdbItemLedger({ path, sideCache: createMemorySideCache() });
    const found = await ledger.findByKey('image-ingest', key);
    assert.deepEqual([found?.itemKey, found?.messageId, found?.reason], [key, ref.messageId, 'too-large']);
    await ledger.close();
    await assert.rejects(ledger.get(ref), { code: 'JOURNAL_CLOSED' });
  });

  it('refuses options it cannot work with, naming them', () => {
    const elsewhere: SideCache = { ...createMemorySideCache() };
    for (const key of Object.getOwnPropertySymbols(elsewhere)) delete (elsewhere as unknown as Record<symbol, unknown>)[key];
    assert.throws(() => createLmdbItemLedger({ path: freshPath(), sideCache: elsewhere }), /Expected `sideCache` to be the memory side-cache/);
    assert.throws(() => createLmdbItemLedger({ path: '', sideCache: createMemorySideCache() }), /Expected `path` to be the directory of the journal/);
  });
});
