// `quarry operator check` end to end: exit 1 and a FAIL line on a broken service, --sample and
// --json read and used.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startReferenceService } from '../../framework/operator-conformance/testing/index.ts';

const quarry = (args: string[]) =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args]).then(
    (r) => ({ ...r, code: 0 }),
    (err: { stdout: string; stderr: string; code: number }) => err,
  );

describe('quarry operator check', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-check-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints FAIL for the broken clause and exits 1', async () => {
    const svc = await startReferenceService({ breaks: 'unknown-operator' });
    try {
      const { stdout, code } = await quarry(['operator', 'check', svc.address]);
      assert.equal(code, 1, stdout);
      assert.match(stdout, /^FAIL {2}shout {2}unknown-operator {7}an unknown operator is UNIMPLEMENTED: Echo for an unknown operator answered OK instead of UNIMPLEMENTED$/m);
      assert.match(stdout, /^PASS {2}shout {2}batch-statuses/m);
      assert.match(stdout, /^11 passed, 1 failed, 1 skipped$/m);
    } finally {
      await svc.close();
    }
  });

  it('uses the inputs of --sample, and prints JSON with --json', async () => {
    const svc = await startReferenceService({ breaks: 'echo-matches-describe' });
    try {
      writeFileSync(join(dir, 'data.bin'), 'payload');
      writeFileSync(join(dir, 'sample.json'), JSON.stringify({ fields: { text: 'from the sample' }, blobs: { data: 'data.bin' } }));
      const { stdout, code } = await quarry(['operator', 'check', svc.address, '--sample', join(dir, 'sample.json'), '--json']);
      assert.equal(code, 1);
      const results = JSON.parse(stdout) as { clause: string; status: string; detail: string }[];
      const echo = results.find((r) => r.clause === 'echo-matches-describe')!;
      assert.equal(echo.status, 'fail');
      assert.match(echo.detail, /^from --sample answered OK but declared output `length` is missing/);
      const bad = await quarry(['operator', 'check', svc.address, '--sample', join(dir, 'missing.json')]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /--sample .*missing\.json: not a readable JSON file/);
    } finally {
      await svc.close();
    }
  });
});
