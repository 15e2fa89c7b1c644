// The OCR bench's measured runs on the Quarry side: the served operator (gRPC on loopback, the
// operator process hosting the engine, as `quarry operator ocr` runs it), called with EchoBatch
// as the miner calls it. Each run reports wall time, the process's CPU time (every thread:
// the event loop, the OCR workers, onnxruntime's and libvips' threads) and the event loop's
// longest stall while it ran.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createOperatorClient } from '../../framework/operator-client/index.ts';
import { serveOperators } from '../../framework/operator-sdk/index.ts';
import type { EchoRequest } from '../../framework/wire/index.ts';
import { createOcrOperator, type OcrEngine } from '../../operators/ocr/index.ts';
import { startLoopProbe } from './loop-probe.ts';

export interface RunFigures {
  images: number;
  seconds: number;
  cpuSeconds: number;
  /** Longest and 99th-percentile event-loop delay during the run, ms. */
  stallMaxMs: number;
  stallP99Ms: number;
  /** The same for an idle Node process beside the run: the machine's noise floor. */
  idleStallMaxMs: number;
  texts: string[];
}

export async function measured(work: () => Promise<string[]>, images: number, options: { loop?: boolean } = {}): Promise<RunFigures> {
  const probe = await startLoopProbe();
  const delay = monitorEventLoopDelay({ resolution: 5 });
  const cpu = process.cpuUsage();
  const started = performance.now();
  delay.enable();
  const texts = await work();
  delay.disable();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const idle = await probe.stop();
  const loop = options.loop ?? true;
  return {
    images, seconds, cpuSeconds: (used.user + used.system) / 1e6,
    stallMaxMs: loop ? delay.max / 1e6 : NaN, stallP99Ms: loop ? delay.percentile(99) / 1e6 : NaN, idleStallMaxMs: idle.maxMs, texts,
  };
}

/** `total` items through `next`, `inFlight` at a time; each answer lands at its index's image. */
async function pump(total: number, inFlight: number, distinct: number, next: (i: number) => Promise<string>): Promise<string[]> {
  const texts: string[] = new Array(distinct).fill('');
  let cursor = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (cursor < total) {
        const i = cursor++;
        texts[i % distinct] = await next(i);
      }
    }),
  );
  return texts;
}

const decoder = new TextDecoder();

function request(image: Uint8Array, i: number): EchoRequest {
  const trigger = {
    messageId: `m${i}`, itemKey: `k${i}`, dag: 'ocr-bench', dagVersion: 1, node: 'ocr', tupleRef: `ocr-bench:m${i}`, tupleVersion: 1, priority: 'normal' as const,
    tenant: 'default', attempt: 0, deadlineMs: 0, traceparent: '', tracestate: '', parentId: '', fromNode: '', createdMs: 0, source: {}, notBeforeMs: 0,
  };
  return { trigger, operator: 'ocr', fields: {}, blobs: { image } } as EchoRequest;
}

/**
 * The ocr operator served over gRPC in this process, called as the miner calls it: EchoBatch of
 * `batch` items (1 = a unary Echo per image), `inFlight` calls at a time.
 */
export async function servedRun(engine: OcrEngine, images: readonly Uint8Array[], repeat: number, batch: number, inFlight: number): Promise<RunFigures> {
  const server = await serveOperators([createOcrOperator({ engine, maxBatch: Math.max(batch, 1) })], { port: 0, capacity: batch * inFlight, defaultTimeoutMs: 600_000 });
  const client = createOperatorClient({ endpoints: [server.address] });
  const total = images.length * repeat;
  const texts: string[] = new Array(images.length).fill('');
  try {
    const call = async (c: number, limit: number) => {
      const ids = Array.from({ length: Math.min(batch, limit - c * batch) }, (_, k) => c * batch + k);
      const deadlineMs = Date.now() + 600_000;
      const items = ids.map((i) => ({ ...request(images[i % images.length]!, i), deadlineMs }));
      const answers = batch === 1 ? [await client.echo({ request: items[0]!, deadline: deadlineMs })] : await client.echoBatch({ operator: 'ocr', items });
      answers.forEach((res, k) => {
        if (res.status !== 'OK') throw new Error(`ocr bench: item ${ids[k]} answered ${res.status}: ${res.message}`);
        texts[ids[k]! % images.length] = JSON.parse(decoder.decode(res.fields.ocrText)) as string;
      });
      return '';
    };
    const warm = batch * inFlight; // every thread started, its sessions loaded
    await pump(inFlight, inFlight, 1, (c) => call(c, warm));
    return await measured(async () => {
      await pump(Math.ceil(total / batch), inFlight, 1, (c) => call(c, total));
      return texts;
    }, total);
  } finally {
    client.close();
    await server.close();
  }
}
