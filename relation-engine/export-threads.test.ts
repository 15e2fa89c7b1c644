// The export read by worker threads writes exactly what the single-threaded export writes, in the
// same order (a whole store and a bucket range, with signs that fill every slice, and with the
// odd sign that is not hex), and a reader that stops early stops the threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { createRelationEngine, openRelationStore, type RelationEngine, type RelationStore } from './index.ts';

const feat = { width: 8, height: 8, format: 'png', clarity: 1, phash: '0123456789abcdef', dominantColor: '#000000' };

async function exported(engine: RelationEngine, o: { threads?: number; fromBucket?: number; toBucket?: number } = {}): Promise<{ text: string; contents: number; threads: number }> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (d: Buffer) => parts.push(d));
  const report = await engine.exportJsonl(out, o);
  return { text: Buffer.concat(parts).toString('utf8'), contents: report.contents, threads: report.threads };
}

test('an export in worker threads writes the same lines in the same order as one thread', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'quarry-export-threads-'));
  const store = await openRelationStore(`embedded:${dir}?buckets=8`);
  const engine = createRelationEngine({ store });
  try {
    const signs = [...Array.from({ length: 3_000 }, (_, i) => createHash('sha256').update(String(i)).digest('hex')), 'zz-not-hex', 'A-upper', '-dash'];
    for (let p = 0; p < signs.length; p += 300) {
      const batch = signs.slice(p, p + 300);
      await engine.upsertPage({ url: `http://t.example/p${p}`, links: batch.map((_, i) => ({ url: `http://t.example/i${p + i}.jpg` })), crawledAtMs: 1 });
      for (const [i, s] of batch.entries()) {
        await engine.upsertContent(s, feat);
        await engine.markLink({ url: `http://t.example/i${p + i}.jpg`, alive: true, contentSign: s, crawledAtMs: 1 });
      }
    }
    const one = await exported(engine);
    assert.equal(one.contents, signs.length);
    for (const threads of [2, 3]) {
      const many = await exported(engine, { threads });
      assert.equal(many.contents, signs.length, `${threads} threads: every content`);
      assert.equal(many.threads, threads);
      assert.ok(many.text === one.text, `${threads} threads: the same bytes in the same order`);
    }
    const range = await exported(engine, { fromBucket: 2, toBucket: 5 });
    assert.ok(range.contents > 0 && range.contents < signs.length);
    assert.ok((await exported(engine, { fromBucket: 2, toBucket: 5, threads: 2 })).text === range.text, 'a bucket range too');

    // A writer that fails stops the export, and its threads with it (the test would hang otherwise).
    const broken = new Writable({ write: (_c, _e, cb) => cb(new Error('disk full')) });
    broken.on('error', () => {});
    await assert.rejects(engine.exportJsonl(broken, { threads: 2 }), /disk full/);
    await assert.rejects(engine.exportJsonl(new PassThrough(), { threads: 0 }), /Expected `threads` to be an integer ≥ 1, got `0`/);

    // The threads open the store by its spec: one they cannot open fails the export, naming it.
    assert.equal(store.threadSpec, `embedded:${dir}`);
    const elsewhere = createRelationEngine({ store: Object.create(store, { threadSpec: { value: 'embedded:/no/such/relations' } }) as RelationStore });
    await assert.rejects(elsewhere.exportJsonl(new PassThrough(), { threads: 2 }), /export thread: .*No relation store at `\/no\/such\/relations`/s);
  } finally {
    await engine.close();
    await rm(dir, { recursive: true, force: true });
  }
});
