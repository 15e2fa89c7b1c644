// The kit against a service written straight to the contract: it passes every clause, and a copy
// broken on one clause fails exactly there.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkOperatorService, CLAUSES, type ClauseId, type ClauseResult } from './index.ts';
import { startReferenceService, type ReferenceServiceOptions } from './testing/index.ts';

async function check(options: ReferenceServiceOptions = {}): Promise<ClauseResult[]> {
  const svc = await startReferenceService(options);
  try {
    return await checkOperatorService(svc.address, options.token ? { token: options.token } : {});
  } finally {
    await svc.close();
  }
}

const summary = (rs: ClauseResult[]) => rs.map((r) => `${r.status} ${r.clause}: ${r.detail}`).join('\n');

describe('the operator conformance kit', () => {
  it('passes a conforming service on every clause (the token one too, given a token)', async () => {
    const results = await check({ token: 'sesame' });
    assert.deepEqual(results.map((r) => r.clause), CLAUSES.map((c) => c.id));
    assert.deepEqual(results.filter((r) => r.status !== 'pass'), [], summary(results));
  });

  it('skips the token clause when no token is given, and says so', async () => {
    const token = (await check()).find((r) => r.clause === 'token')!;
    assert.equal(token.status, 'skip');
    assert.match(token.detail, /no --token/);
  });

  const breakable = CLAUSES.map((c) => c.id);
  for (const clause of breakable) {
    it(`fails the \`${clause}\` clause on a service that breaks it`, async () => {
      // In-flight is only observable on calls that take a while.
      const options: ReferenceServiceOptions = { breaks: clause as ClauseId, ...(clause === 'health' ? { delayMs: 150 } : {}), ...(clause === 'token' ? { token: 'sesame' } : {}) };
      const results = await check(options);
      const verdict = results.find((r) => r.clause === clause)!;
      assert.equal(verdict.status, 'fail', summary(results));
      assert.ok(verdict.detail.length > 10, verdict.detail);
    });
  }

  it('reports an unreachable service as one failed describe clause', async () => {
    const results = await checkOperatorService('127.0.0.1:1');
    assert.equal(results.length, 1);
    assert.equal(results[0]!.clause, 'describe');
    assert.equal(results[0]!.status, 'fail');
    assert.match(results[0]!.detail, /Describe failed/);
  });

  it('reports an operator the service does not serve', async () => {
    const svc = await startReferenceService();
    try {
      const [r] = await checkOperatorService(svc.address, { operator: 'ocr' });
      assert.equal(r!.status, 'fail');
      assert.match(r!.detail, /does not describe `ocr` \(serving: shout\)/);
    } finally {
      await svc.close();
    }
  });
});
