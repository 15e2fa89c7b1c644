// Trace export across processes: a `quarry operator` process configured only by OTEL_* exports
// its per-call spans to a real OTLP/HTTP endpoint (a loopback receiver that decodes them), in the
// trace of the item's traceparent and under the caller's span.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createOperatorClient } from '../framework/operator-client/index.ts';
import { startOtlpReceiver, type ReceivedSpan } from '../framework/telemetry/testing/index.ts';
import type { EchoRequest } from '../framework/wire/index.ts';

const MAIN = fileURLToPath(new URL('../cli/main.ts', import.meta.url));
const enc = new TextEncoder();

async function startOperator(env: Record<string, string>): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'operator', 'image-extract', '--port', '0'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await Promise.race([once(createInterface({ input: child.stdout! }), 'line'), once(child, 'exit').then(() => { throw new Error('operator exited before listening'); })])) as [string];
  return { child, address: (JSON.parse(line) as { listening: string }).listening };
}

function request(traceparent: string, itemKey: string): EchoRequest {
  return {
    operator: 'image-extract',
    trigger: {
      messageId: `m-${itemKey}`, itemKey, dag: 'page-ingest', dagVersion: 1, node: 'extract', tupleRef: `t-${itemKey}`, tupleVersion: 1, priority: 'normal', tenant: 'default',
      attempt: 0, deadlineMs: 0, traceparent, tracestate: '', parentId: '', fromNode: 'spider', createdMs: Date.now(), source: { url: itemKey }, notBeforeMs: 0,
    },
    fields: { finalUrl: enc.encode(JSON.stringify('http://example.test/page')) },
    blobs: { html: enc.encode('<html><body><img src="/a.png" alt="a"><a href="/next">next</a></body></html>') },
  };
}

async function callOnce(address: string, traceparent: string, itemKey: string): Promise<void> {
  const client = createOperatorClient({ endpoints: [address] });
  try {
    const res = await client.echo({ request: request(traceparent, itemKey), deadline: Date.now() + 20_000 });
    assert.equal(res.status, 'OK', res.message);
  } finally {
    client.close();
  }
}

const stop = async (child: ChildProcess) => {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
};

describe('trace export (OTLP)', () => {
  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`a quarry operator process exports its call span over ${protocol} in the item's trace, under the caller's span`, async () => {
      const otlp = await startOtlpReceiver();
      const traceId = randomBytes(16).toString('hex');
      const callerSpan = randomBytes(8).toString('hex');
      // protobuf: the endpoint base and a short export delay; JSON: the traces endpoint itself and a
      // delay longer than the test, so the spans can only arrive by the flush on SIGTERM.
      const env: Record<string, string> = protocol === 'http/protobuf'
        ? { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_SERVICE_NAME: 'operator-under-test' }
        : { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/v1/traces`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '600000', OTEL_SERVICE_NAME: 'operator-under-test' };
      const { child, address } = await startOperator(env);
      try {
        await callOnce(address, `00-${traceId}-${callerSpan}-01`, 'http://example.test/page');
        if (protocol === 'http/json') {
          assert.equal(otlp.spans.length, 0, 'nothing is exported before the batch delay or the stop');
          await stop(child);
        }
        const spans = await otlp.waitFor((all) => all.some((s) => s.traceId === traceId));
        const span = spans.find((s) => s.traceId === traceId) as ReceivedSpan;
        assert.equal(span.name, 'operator image-extract');
        assert.equal(span.parentSpanId, callerSpan, 'the operator span is a child of the caller span named in the traceparent');
        assert.equal(span.service, 'operator-under-test');
        assert.equal(span.attributes['quarry.item_key'], 'http://example.test/page');
        assert.equal(span.attributes['quarry.node'], 'extract');
        assert.equal(span.status.code, 1, 'status OK');
        assert.ok(otlp.contentTypes.every((t) => t.includes(protocol === 'http/json' ? 'json' : 'protobuf')), otlp.contentTypes.join());
      } finally {
        await stop(child);
        await otlp.close();
      }
    });
  }

});
