// The TypeScript SDK's service against the conformance kit, beside the Python and Go ones: every
// built-in operator served by `quarry operator` over mTLS with a token, and the README's greet
// operators plus a slow batch operator served by `serveOperators`. No clause fails; a clause is
// skipped only for a reason that is the operator's own (no max_bytes, too quick to saturate).
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { z } from 'zod';
import { startDemoSite, type DemoSite } from '../demo-site/index.ts';
import { checkOperatorService, formatResult, type ChannelOptions, type ClauseResult, type FixedSample } from '../framework/operator-conformance/index.ts';
import { blob, defineOperator, serveOperators } from '../framework/operator-sdk/index.ts';
import { assertAuthenticatedChannel, serverTlsFlags, TOKEN } from './channel-checks.ts';
import { makeTestCerts, ROOT, startOperatorProcess, type OperatorProcess, type TestCerts } from './test-support.ts';

/** Skips that say something about the operator, not about the kit or the SDK. */
const OWN_REASONS = /no input declares max_bytes|too quick for its capacity to be reached/;

function assertConforms(t: TestContext, results: readonly ClauseResult[]): void {
  for (const r of results) t.diagnostic(formatResult(r));
  assert.deepEqual(results.filter((r) => r.status === 'fail').map((r) => `${r.operator} ${r.clause}: ${r.detail}`), []);
  assert.deepEqual(results.filter((r) => r.status === 'skip' && !OWN_REASONS.test(r.detail)).map((r) => `${r.operator} ${r.clause}: ${r.detail}`), []);
}

/** The README's greet and shout operators. */
const greet = defineOperator({
  name: 'greet', version: '1.0.0', inputs: { name: z.string() }, outputs: { message: z.string() },
  async handler({ name }) {
    return { message: `Hello, ${name}!` };
  },
});
const shout = defineOperator({
  name: 'shout', version: '1.0.0', inputs: { message: z.string() }, outputs: { loud: z.string() },
  async handler({ message }) {
    return { loud: message.toUpperCase() };
  },
});

const sign = (s: string) => createHash('sha256').update(s).digest('hex');

/** Inputs each built-in answers OK that the kit cannot make up (URLs of the demo site, relation records). */
function samples(site: DemoSite): Record<string, FixedSample | undefined> {
  const image = site.groundTruth.links.find((l) => l.status === 'alive')!;
  const content = sign('conformance-content');
  return {
    'page-spider': { fields: { url: site.url }, blobs: {} },
    'image-spider': { fields: { url: site.absolute(image.url) }, blobs: {} },
    'index-builder': { fields: { contentSign: content, phash: '0123456789abcdef', ocrText: 'conformance' }, blobs: {} },
    'relation-page': { fields: { url: `${site.url}conformance.html`, title: 'Conformance', pageType: 'article', contentHash: sign('page'), fetchedAtMs: 1_700_000_000_000, images: [{ url: `${site.url}img/c.png`, alt: 'c' }] }, blobs: {} },
    'relation-link': { fields: { url: `${site.url}img/conformance.png`, linkStatus: 'alive', contentSign: sign('link-content'), fetchedAtMs: 1_700_000_000_000 }, blobs: {} },
    'relation-content': { fields: { contentSign: content, width: 40, height: 30, format: 'png', clarity: 1.5, phash: '0123456789abcdef', dominantColor: '#e6e6e6', thumbnail: 'conformance/thumb' }, blobs: {} },
  };
}

describe('the TypeScript SDK passes the conformance kit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-ts-sdk-'));
  let certs: TestCerts;
  let site: DemoSite;
  let svc: OperatorProcess | undefined;
  const tls: () => ChannelOptions = () => ({ tlsCa: certs.ca, tlsCert: certs.clientCert, tlsKey: certs.clientKey, token: TOKEN });
  before(async () => {
    certs = makeTestCerts(dir);
    site = await startDemoSite();
  });
  after(async () => {
    await svc?.stop();
    await site?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('`quarry operator` with every built-in, over mTLS with a token: each operator, clause by clause', async (t) => {
    svc = await startOperatorProcess(process.execPath, [
      '--import', 'tsx', join(ROOT, 'cli/main.ts'), 'operator', 'page-spider', 'image-extract', 'image-spider', 'image-feature', 'ocr', 'index-builder',
      'relation-page', 'relation-link', 'relation-content', 'relation-ocr', '--capacity', '16', '--allow-private', '127.0.0.0/8', '--host-delay', '0', '--host-concurrency', '64',
      '--relations', `embedded:${join(dir, 'relations')}`, '--index', `embedded:${join(dir, 'index')}`, ...serverTlsFlags(certs),
    ]);
    assert.equal(svc.summary.tls, true);
    const given = samples(site);
    for (const operator of svc.summary.operators as string[]) {
      const sample = given[operator];
      const results = await checkOperatorService(svc.address, { ...tls(), operator, ...(sample ? { sample } : {}) });
      assert.equal(results.length, 13, `${operator}: a result per clause`);
      assertConforms(t, results);
      assert.equal(results.find((r) => r.clause === 'token')?.status, 'pass', `${operator}: the token clause ran`);
    }
  });

  it('`quarry operator check` on it prints a PASS or SKIP line per clause, and names a refused client', async () => {
    assert.ok(svc, 'the service of the previous test is up');
    const check = (flags: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/main.ts'), 'operator', 'check', svc!.address, '--operator', 'image-extract', ...flags], { env: { ...process.env, QUARRY_OPERATOR_TOKEN: TOKEN } })
        .then((r) => ({ ...r, code: 0 }), (err: { stdout: string; stderr: string; code: number }) => err);
    const ok = await check(['--tls-ca', certs.ca, '--tls-cert', certs.clientCert, '--tls-key', certs.clientKey]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const lines = ok.stdout.trim().split('\n');
    assert.equal(lines.filter((l) => /^(PASS|SKIP) {2}image-extract {2}\S+/.test(l)).length, 13, ok.stdout);
    assert.match(lines.at(-1)!, /^\d+ passed, 0 failed, \d+ skipped$/);
    assert.match(ok.stdout, /^PASS {2}image-extract {2}token {16}/m);
    const plain = await check([]);
    assert.equal(plain.code, 1, plain.stdout);
    assert.match(plain.stdout, new RegExp(`^FAIL {2}image-extract {2}describe .*: the service refused this client: operator ${svc.address.replace(/\./g, '\\.')}: it serves TLS and this client connects in plaintext`, 'm'));
  });

  it('`quarry operator` refuses plaintext, a missing or foreign certificate, and a missing token', async () => {
    assert.ok(svc, 'the service of the previous test is up');
    await assertAuthenticatedChannel(svc, certs, 'image-extract');
  });

  it('serveOperators: the greet operators and a slow batch operator with a byte limit, every clause', async (t) => {
    const weigh = defineOperator({
      name: 'weigh', version: '1.0.0', maxBatch: 32,
      inputs: { label: z.string(), data: blob('some bytes', { maxBytes: 4096 }) }, outputs: { label: z.string(), bytes: z.number().int() },
      async batchHandler(items, batch) {
        await sleep(30, undefined, { signal: batch.signal }).catch(() => undefined);
        return items.map(({ input }) => ({ label: input.label.toUpperCase(), bytes: input.data.length }));
      },
    });
    // A capacity of 8 items: Describe offers batches of 8, and two such calls cannot be in at once.
    const server = await serveOperators([greet, shout, weigh], { port: 0, capacity: 8, token: TOKEN });
    try {
      const results = await checkOperatorService(server.address, { token: TOKEN });
      assertConforms(t, results);
      const ofWeigh = results.filter((r) => r.operator === 'weigh');
      assert.deepEqual(ofWeigh.filter((r) => r.status !== 'pass').map((r) => `${r.clause}: ${r.detail}`), [], 'the slow batch operator passes every clause');
      assert.match(ofWeigh.find((r) => r.clause === 'describe')!.detail, /max_batch 8,/);
    } finally {
      await server.close();
    }
  });
});
