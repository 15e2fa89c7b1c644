// The README's Python and Go operator examples are these files, word for word; they run, answer,
// and pass the conformance kit, from the command line too.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { checkOperatorService, createContractClient } from '../framework/operator-conformance/index.ts';
import { goOperator, pythonOperator, requireSdkBuild, ROOT, type OperatorProcess } from './test-support.ts';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const quarry = (args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: ROOT }).then(
  (r) => ({ ...r, code: 0 }),
  (err: { stdout: string; stderr: string; code: number }) => err,
);
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const item = (fields: Record<string, unknown>) => ({ trigger: { messageId: 'm', itemKey: 'k', dag: 'd', node: 'n', tupleRef: 't' }, fields: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, json(v)])), blobs: {} });

describe('the README operator examples in Python and Go', () => {
  const started: OperatorProcess[] = [];
  after(async () => {
    await Promise.all(started.map((s) => s.stop()));
  });

  for (const [file, lang] of [['examples/python/greet.py', 'python'], ['examples/go/greet/main.go', 'go']] as const) {
    it(`README shows ${file} word for word`, () => {
      assert.ok(readme.includes(`\`\`\`${lang}\n${readFileSync(join(ROOT, file), 'utf8')}\`\`\``), `README.md's ${lang} block differs from ${file}`);
    });
  }

  for (const lang of ['python', 'go'] as const) {
    it(`the ${lang} greet example greets, filters an empty name, and passes the conformance kit`, async () => {
      requireSdkBuild();
      const svc = lang === 'python' ? await pythonOperator('greet', ['--capacity', '2'], { PYTHONPATH: join(ROOT, 'examples/python') }) : await goOperator('greet', ['--capacity', '2']);
      started.push(svc);
      const client = createContractClient(svc.address);
      const hello = await client.echo({ ...item({ name: ' Ada ' }), operator: 'greet' });
      assert.equal(Buffer.from(hello.fields.message!).toString(), '"Hello, Ada!"');
      const empty = await client.echo({ ...item({ name: '' }), operator: 'greet' });
      assert.deepEqual([empty.status, empty.message], ['FILTERED', 'empty-name']);
      if (lang === 'python') {
        const loud = await client.echoBatch('shout', [item({ message: 'a' }), item({ message: 'b' })]);
        assert.deepEqual(loud.map((a) => Buffer.from(a.fields.loud!).toString()), ['"A"', '"B"']);
      }
      client.close();
      const results = await checkOperatorService(svc.address);
      assert.deepEqual(results.filter((r) => r.status !== 'pass' && r.clause !== 'token').map((r) => `${r.operator} ${r.clause}: ${r.detail}`), []);
    });
  }

  it('quarry operator check prints a line per clause and exits 0 on the Python example', async () => {
    const svc = await pythonOperator('greet', ['--capacity', '2'], { PYTHONPATH: join(ROOT, 'examples/python') });
    started.push(svc);
    const { stdout, code } = await quarry(['operator', 'check', svc.address, '--operator', 'greet']);
    assert.equal(code, 0, stdout);
    const lines = stdout.trim().split('\n');
    assert.match(stdout, /^PASS {2}greet {2}describe {15}Describe is well formed: greet 1\.0\.0, cpu, 1 input\(s\), 1 output\(s\), max_batch 64, concurrency 16$/m);
    assert.match(stdout, /^PASS {2}greet {2}echo-matches-describe {2}Echo returns what Describe declares: sample \(json: url\) answered OK with every declared output in its declared kind$/m);
    assert.match(stdout, /^12 passed, 0 failed, 1 skipped$/m);
    assert.ok(lines.length >= 14);
  });
});
