import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { formatShadowReport } from './shadow.ts';

const DAG = fileURLToPath(new URL('../../test/fixtures/routing-dag.ts', import.meta.url));
const run = async (...args: string[]) => {
  try {
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { env: { ...process.env, NODE_NO_WARNINGS: '1', QUARRY_REDIS_URL: '' } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

describe('quarry shadow', () => {
  it('formats the tallies per field and the sampled disagreements', () => {
    const text = formatShadowReport({
      dag: 'd', node: 'n',
      shadows: [{ shadow: 'ocr-next', compared: 4, agreed: 3, failed: 1, fields: [{ field: 'text', agree: 3, disagree: 0 }] }],
      samples: [{ shadow: 'ocr-next', atMs: 0, itemKey: 'k1', messageId: 'm', tenant: 'acme', fields: {}, failed: { status: 'RETRY', code: 'DEADLINE_EXCEEDED', message: 'slow' } }],
    }, { operator: 'ocr-next', share: 0.5 });
    assert.match(text, /^shadow report d\/n: shadow ocr-next on 50% of items\n/);
    assert.match(text, /ocr-next: 4 compared, 3 agreed \(75\.0%\), 1 failed in the shadow/);
    assert.match(text, /text\s+3\s+0\s+100\.0%/);
    assert.match(text, /1970-01-01T00:00:00\.000Z {2}k1 {2}\(tenant acme, ocr-next\)\n\s+shadow answered RETRY DEADLINE_EXCEEDED: slow/);
    assert.match(formatShadowReport({ dag: 'd', node: 'n', shadows: [], samples: [] }), /nothing compared yet/);
  });

  it('names the problem: an unknown DAG or node, a node without a shadow, no Redis', async () => {
    const cases: [string[], RegExp][] = [
      [['shadow', 'report', 'nope', 'read', '--dags', DAG], /unknown DAG `nope` \(known: routed\)/],
      [['shadow', 'report', 'routed', 'nope', '--dags', DAG], /DAG `routed` has no node `nope` \(nodes: read\)/],
      [['shadow', 'report', 'routed', 'read', '--dags', DAG], /the shadow report reads the deployment's Redis: it needs --redis/],
    ];
    for (const [args, expected] of cases) {
      const r = await run(...args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, expected);
    }
    const plain = await run('shadow', 'report', 'image-ingest', 'fetch');
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /node `image-ingest\/fetch` declares no `shadow`/);
  });
});
