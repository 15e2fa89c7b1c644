// The Go SDK and its image-extract: the Go unit tests, the conformance kit, the same Describe as the
// TypeScript twin and the same answers on every demo page, and mTLS + token.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDemoSite } from '../../demo-site/index.ts';
import { checkOperatorService, createContractClient, type WireDescription } from '../../framework/operator-conformance/index.ts';
import { describeOperator, type OperatorDefinition } from '../../framework/operator-sdk/index.ts';
import { mockOperatorContext } from '../../framework/testing/index.ts';
import { createImageExtractOperator } from '../../operators/image-extract/index.ts';
import { assertAuthenticatedChannel, serverTlsFlags } from '../channel-checks.ts';
import { goOperator, makeTestCerts, requireSdkBuild, ROOT, type OperatorProcess } from '../test-support.ts';

const shape = (d: { name: string; version: string; resource: string; inputs: { name: string; kind: string; optional: boolean; maxBytes?: number }[]; outputs: { name: string; kind: string; optional: boolean }[] }) => ({
  name: d.name, version: d.version, resource: d.resource,
  inputs: d.inputs.map((f) => [f.name, f.kind, f.optional, f.maxBytes ?? 0]),
  outputs: d.outputs.map((f) => [f.name, f.kind, f.optional]),
});
const decode = (b: Uint8Array | undefined): unknown => (b ? JSON.parse(Buffer.from(b).toString('utf8')) : undefined);

describe('the Go SDK', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-go-sdk-'));
  const started: OperatorProcess[] = [];
  before(() => requireSdkBuild());
  after(async () => {
    await Promise.all(started.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async (args: string[] = []) => {
    const svc = await goOperator('quarry-image-extract', ['--capacity', '2', ...args]);
    started.push(svc);
    return svc;
  };

  it('passes its own unit tests (go test)', () => {
    const run = spawnSync('go', ['test', './...'], { cwd: join(ROOT, 'sdk/go'), encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /ok\s+quarry\.local\/sdk\/operator/);
  });

  it('image-extract: passes the conformance kit and Describes like its twin', async () => {
    const svc = await start();
    const results = await checkOperatorService(svc.address);
    assert.deepEqual(results.filter((r) => r.status !== 'pass' && r.clause !== 'token').map((r) => `${r.clause}: ${r.detail}`), []);
    const client = createContractClient(svc.address);
    const [desc] = (await client.describe()) as [WireDescription];
    client.close();
    assert.deepEqual(shape(desc), shape(describeOperator(createImageExtractOperator({}) as unknown as OperatorDefinition)));
  });

  it('image-extract answers every demo page as its twin does: images, links and children', async () => {
    const svc = await start();
    const client = createContractClient(svc.address);
    const twin = createImageExtractOperator({});
    const origin = 'http://127.0.0.1:8765';
    const { spec } = await buildDemoSite();
    let pages = 0;
    for (const [path, route] of spec.routes) {
      if (route.kind === 'redirect' || !String(route.contentType).includes('html')) continue;
      const charset = /charset=([\w-]+)/i.exec(String(route.contentType))?.[1] ?? 'utf-8';
      const text = new TextDecoder(charset).decode(route.body as Uint8Array).replaceAll('__ORIGIN__', origin).replaceAll('__HOST__', '127.0.0.1:8765');
      const html = new TextEncoder().encode(text);
      const finalUrl = `${origin}${path}`;
      const source = { url: finalUrl, depth: '1', maxDepth: '2' };
      const ctx = mockOperatorContext({ trigger: { source } });
      const want = await twin.handler({ finalUrl, html }, ctx);
      const a = await client.echo({ trigger: { messageId: path, itemKey: finalUrl, dag: 'page-ingest', node: 'extract', tupleRef: 't', source }, operator: 'image-extract', fields: { finalUrl: new TextEncoder().encode(JSON.stringify(finalUrl)) }, blobs: { html } });
      assert.equal(a.status, 'OK', `${path}: ${a.message}`);
      assert.deepEqual({ images: decode(a.fields.images), pageLinks: decode(a.fields.pageLinks) }, want, path);
      assert.deepEqual(a.children.map((c) => ({ itemKey: c.itemKey, dag: c.dag, source: c.source })), ctx.children, `${path}: children`);
      pages += 1;
    }
    client.close();
    assert.ok(pages >= 30, `${pages} demo pages compared`);
  });

  it('over mTLS with a bearer token; refuses plaintext, a missing or foreign certificate, a missing token', async () => {
    const certs = makeTestCerts(dir);
    const svc = await start(serverTlsFlags(certs));
    await assertAuthenticatedChannel(svc, certs, 'image-extract');
  });

  it('stops gracefully on SIGTERM (exit 0)', async () => {
    const svc = await start();
    assert.equal(await svc.stop(), 0);
  });
});
