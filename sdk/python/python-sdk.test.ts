// The Python SDK and its operators: its own unit tests, the conformance kit on ocr and
// image-feature, the same Describe and features as their TypeScript twins, and mTLS + token.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDemoSite } from '../../demo-site/index.ts';
import { checkOperatorService, createContractClient, type WireDescription } from '../../framework/operator-conformance/index.ts';
import { describeOperator, type OperatorDefinition } from '../../framework/operator-sdk/index.ts';
import { computeImageFeatures, createImageFeatureOperator } from '../../operators/image-feature/index.ts';
import { createOcrOperator, type OcrEngine } from '../../operators/ocr/index.ts';
import { assertAuthenticatedChannel, serverTlsFlags } from '../channel-checks.ts';
import { makeTestCerts, PYTHON, pythonOperator, requireSdkBuild, ROOT, type OperatorProcess } from '../test-support.ts';

const shape = (d: { name: string; version: string; resource: string; inputs: { name: string; kind: string; optional: boolean; maxBytes?: number }[]; outputs: { name: string; kind: string; optional: boolean }[] }) => ({
  name: d.name, version: d.version, resource: d.resource,
  inputs: d.inputs.map((f) => [f.name, f.kind, f.optional, f.maxBytes ?? 0]),
  outputs: d.outputs.map((f) => [f.name, f.kind, f.optional]),
});
const unusedEngine: OcrEngine = { concurrency: 1, read: () => Promise.reject(new Error('not used')), readBatch: () => Promise.reject(new Error('not used')), close: () => Promise.resolve() };

async function demoImages(): Promise<Map<string, Uint8Array>> {
  const { spec } = await buildDemoSite();
  const out = new Map<string, Uint8Array>();
  for (const [path, route] of spec.routes) if (route.kind !== 'redirect' && path.startsWith('/img/') && route.image) out.set(path, route.body as Uint8Array);
  return out;
}

describe('the Python SDK', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-py-sdk-'));
  const started: OperatorProcess[] = [];
  before(() => requireSdkBuild());
  after(async () => {
    await Promise.all(started.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async (module: string, args: string[] = []) => {
    const svc = await pythonOperator(module, ['--capacity', '2', ...args]);
    started.push(svc);
    return svc;
  };

  it('passes its own unit tests (a real gRPC server on loopback)', () => {
    const run = spawnSync(PYTHON, ['-m', 'unittest', 'discover', '-s', join(ROOT, 'sdk/python/tests')], { encoding: 'utf8', env: { ...process.env, QUARRY_LOG_LEVEL: 'error' } });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /Ran \d+ tests/);
  });

  it('image-feature: passes the conformance kit, Describes like its twin, measures the demo images alike', async () => {
    const svc = await start('quarry_ops.image_feature');
    const results = await checkOperatorService(svc.address);
    assert.deepEqual(results.filter((r) => r.status !== 'pass' && r.clause !== 'token').map((r) => `${r.clause}: ${r.detail}`), []);
    const client = createContractClient(svc.address);
    const [desc] = (await client.describe()) as [WireDescription];
    assert.deepEqual(shape(desc), shape(describeOperator(createImageFeatureOperator() as unknown as OperatorDefinition)));
    for (const [path, bytes] of await demoImages()) {
      const twin = await computeImageFeatures(bytes, { thumbnailSize: 128, maxPixels: 100_000_000 }).catch((err: unknown) => err as Error);
      const a = await client.echo({ trigger: { messageId: path, itemKey: path, dag: 'd', node: 'features', tupleRef: 't' }, operator: 'image-feature', fields: {}, blobs: { image: bytes } });
      if (twin instanceof Error) {
        assert.equal(a.status, 'FILTERED', `${path}: the twin filtered it (${twin.message})`);
        continue;
      }
      const got = Object.fromEntries(Object.entries(a.fields).map(([k, v]) => [k, JSON.parse(Buffer.from(v).toString()) as unknown]));
      assert.deepEqual([got.width, got.height, got.format], [twin.width, twin.height, twin.format], path);
      assert.match(String(got.phash), /^[0-9a-f]{16}$/);
      assert.ok(a.blobs.thumbnail && Buffer.from(a.blobs.thumbnail).subarray(8, 12).toString() === 'WEBP', `${path}: a WebP thumbnail`);
    }
    client.close();
  });

  it('ocr (a batch operator on rapidocr): passes the conformance kit, Describes like its twin, reads the demo text', async () => {
    const svc = await start('quarry_ops.ocr');
    const results = await checkOperatorService(svc.address);
    assert.deepEqual(results.filter((r) => r.status !== 'pass' && r.clause !== 'token').map((r) => `${r.clause}: ${r.detail}`), []);
    const client = createContractClient(svc.address);
    const [desc] = (await client.describe()) as [WireDescription];
    assert.deepEqual(shape(desc), shape(describeOperator(createOcrOperator({ engine: unusedEngine }) as unknown as OperatorDefinition)));
    assert.equal(desc.batchNative, true);
    const images = await demoImages();
    const items = ['/img/text-en-1.png', '/img/text-zh-2.png', '/img/photo-01.png'].map((p) => ({ trigger: { messageId: p, itemKey: p, dag: 'd', node: 'ocr', tupleRef: 't' }, fields: {}, blobs: { image: images.get(p)! } }));
    const answers = await client.echoBatch('ocr', items);
    const texts = answers.map((a) => JSON.parse(Buffer.from(a.fields.ocrText!).toString()) as string);
    assert.deepEqual(texts, ['QUARRY DEMO 2024', '数据流水线平台', '']);
    const [line] = JSON.parse(Buffer.from(answers[0]!.fields.ocrLines!).toString()) as { text: string; confidence: number; box: number[][] }[];
    assert.equal(line!.box.length, 4);
    assert.ok(line!.confidence > 0.5 && line!.confidence <= 1);
    client.close();
  });

  it('over mTLS with a bearer token; refuses plaintext, a missing or foreign certificate, a missing token', async () => {
    const certs = makeTestCerts(dir);
    const svc = await start('quarry_ops.image_feature', serverTlsFlags(certs));
    await assertAuthenticatedChannel(svc, certs, 'image-feature');
  });

  it('stops gracefully on SIGTERM (exit 0)', async () => {
    const svc = await start('quarry_ops.image_feature');
    assert.equal(await svc.stop(), 0, svc.stderr());
  });
});
