import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodeTrigger } from '../framework/wire/index.ts';

const run = async (...args: string[]) => {
  try {
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { env: { ...process.env, NODE_NO_WARNINGS: '1' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};
const dir = mkdtempSync(join(tmpdir(), 'quarry-cli-'));

describe('quarry CLI', () => {
  it('plan prints the compiled plan of a DAG file', async () => {
    const r = await run('plan', 'dags/image-ingest.ts');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\[to-ocr\] deferred edge → DAG ocr-ingest/);
    assert.match(r.stdout, /dead, never stored: httpStatus, mime, byteLength/);
  });

  it('plan names the problem in a malformed DAG file', async () => {
    const bad = join(dir, 'bad.ts');
    writeFileSync(bad, `import { defineDag } from '${process.cwd()}/framework/dag/index.ts';\nexport default defineDag({ name: 'bad', source: ['url'] }, [\n  { id: 'a', operator: 'x', reads: ['url'] },\n  { id: 'b', operator: 'y', after: ['a'], reads: ['nothing'] },\n]);\n`);
    const r = await run('plan', bad);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /DAG_INVALID.*\n.*node `b` reads field `nothing`, which no upstream node writes/);
    const syntax = join(dir, 'syntax.ts');
    writeFileSync(syntax, 'export default {{{');
    const s = await run('plan', syntax);
    assert.equal(s.code, 1);
    assert.match(s.stderr, /DAG_LOAD_FAILED.*could not load DAG file/);
  });

  it('inspect decodes a trigger file to JSON, and names a malformed one', async () => {
    const file = join(dir, 't.bin');
    writeFileSync(file, encodeTrigger({ messageId: 'm1', itemKey: 'http://x/', dag: 'page-ingest', dagVersion: 1, node: 'spider', tupleRef: 'page-ingest:m1', tupleVersion: 1, priority: 'low', tenant: 't', attempt: 0, deadlineMs: 0, traceparent: '', tracestate: '', parentId: '', fromNode: '', createdMs: 1, source: { url: 'http://x/' }, notBeforeMs: 0 }));
    const r = await run('inspect', file);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.deepEqual([json.node, json.priority, json.source], ['spider', 'low', { url: 'http://x/' }]);
    writeFileSync(file, 'garbage');
    const bad = await run('inspect', file);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /BAD_TRIGGER/);
  });

  it('crawl refuses bad seeds with a clear error', async () => {
    const r = await run('crawl', '--seed', 'ftp://example.com/x', '--seed', 'not a url', '--data', dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Expected `seed` to be an absolute http\(s\) URL, got `ftp:\/\/example.com\/x`/);
    assert.match(r.stderr, /got `not a url`/);
  });
});
