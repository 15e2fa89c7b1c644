// main.ts as deployed: a separate process serving `ocr` over gRPC, called through the operator client.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createOperatorClient, type OperatorClient } from '../../framework/operator-client/index.ts';
import type { EchoRequest, Trigger } from '../../framework/wire/index.ts';

function request(blobs: Record<string, Uint8Array>): EchoRequest {
  const trigger: Trigger = {
    messageId: 'm1', itemKey: 'c1', dag: 'ocr-ingest', dagVersion: 1, node: 'ocr', tupleRef: 'ocr-ingest:m1', tupleVersion: 1, priority: 'normal',
    tenant: 'default', attempt: 0, deadlineMs: 0, traceparent: '', tracestate: '', parentId: '', fromNode: '', createdMs: 0, source: {}, notBeforeMs: 0,
  };
  return { trigger, operator: 'ocr', fields: {}, blobs };
}

describe('ocr main.ts', () => {
  let child: ChildProcess;
  let client: OperatorClient;
  before(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./main.ts', import.meta.url))], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', QUARRY_OCR_CONCURRENCY: '2' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.setEncoding('utf8');
    const address = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (chunk: string) => {
        out += chunk;
        const m = /listening on (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`ocr main.ts exited (${code}) before listening; stdout: ${out}`)));
    });
    client = createOperatorClient({ endpoints: [address] });
  });
  after(async () => {
    client?.close();
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('describes itself as the gpu-class `ocr` operator', async () => {
    const [description] = await client.describe({ timeoutMs: 5_000 });
    assert.equal(description?.name, 'ocr');
    assert.equal(description?.resource, 'gpu');
    assert.deepEqual(description?.inputs.map((f) => [f.name, f.kind]), [['image', 'blob']]);
    assert.deepEqual(description?.outputs.map((f) => f.name), ['ocrText', 'ocrLines']);
  });

  it('declares QUARRY_OCR_CONCURRENCY as its concurrency, batches of 8, and two batches per thread in flight', async () => {
    const [description] = await client.describe({ timeoutMs: 5_000 });
    assert.equal(description?.concurrency, 2);
    assert.equal(description?.maxBatch, 8);
    assert.equal(description?.batchNative, true);
    const [health] = await client.health({ timeoutMs: 5_000 });
    assert.equal(health?.capacity, 32);
  });

  it('answers text for an image and FILTERED for an empty one', async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="480" height="90"><rect width="100%" height="100%" fill="#fff"/><text x="20" y="55" font-family="DejaVu Sans" font-size="28">Served over gRPC</text></svg>';
    const png = await sharp(Buffer.from(svg)).png().toBuffer();
    const res = await client.echo({ request: request({ image: new Uint8Array(png) }), deadline: Date.now() + 60_000 });
    assert.equal(res.status, 'OK', res.message);
    assert.equal(JSON.parse(new TextDecoder().decode(res.fields.ocrText)), 'Served over gRPC');
    const empty = await client.echo({ request: request({ image: new Uint8Array() }), deadline: Date.now() + 10_000 });
    assert.equal(empty.status, 'FILTERED');
    assert.match(empty.message, /empty-image/);
  });
});
