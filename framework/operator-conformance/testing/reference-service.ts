// A small operator service written straight against the contract (no SDK), correct by default,
// with one clause broken on request: the conformance kit's own tests show each clause can fail.
import { setTimeout as sleep } from 'node:timers/promises';
import { Metadata, Server, ServerCredentials, status, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import type { ClauseId } from '../run.ts';
import { operatorContract, type WireAnswer, type WireDescription, type WireItem } from '../wire-client.ts';

export interface ReferenceServiceOptions {
  /** The clause this service gets wrong (none: it conforms). */
  breaks?: ClauseId;
  capacity?: number;
  /** Time each item takes. */
  delayMs?: number;
  token?: string;
}

export interface ReferenceService {
  address: string;
  close(): Promise<void>;
}

const NAME = 'shout';
const encoder = new TextEncoder();
const toJson = (v: unknown) => encoder.encode(JSON.stringify(v));
const answer = (status: WireAnswer['status'], errorCode = '', message = ''): WireAnswer => ({ status, errorCode, message, retryAfterMs: 0, fields: {}, blobs: {}, children: [] });

export async function startReferenceService(options: ReferenceServiceOptions = {}): Promise<ReferenceService> {
  const broken = options.breaks;
  const capacity = options.capacity ?? 2;
  const delayMs = options.delayMs ?? 20;
  const description: WireDescription = {
    name: NAME, version: '1.0.0', resource: broken === 'describe' ? 'tpu' : 'cpu', maxBatch: 16, batchNative: false, concurrency: 4,
    inputs: [
      { name: 'text', kind: 'json', description: 'a string', optional: false, maxBytes: 1024 },
      { name: 'data', kind: broken === 'describe' ? 'xml' : 'blob', description: 'any bytes', optional: false, maxBytes: 4096 },
    ],
    outputs: [
      { name: 'upper', kind: 'json', description: 'text in capitals', optional: false, maxBytes: 0 },
      { name: 'length', kind: 'json', description: 'bytes of data', optional: false, maxBytes: 0 },
      { name: 'copy', kind: 'blob', description: 'data back', optional: false, maxBytes: 0 },
    ],
  };
  let inFlight = 0;
  let shared: WireItem | undefined; // the race the `concurrent-calls` break relies on

  async function one(item: WireItem, callDeadline: number): Promise<WireAnswer> {
    const deadline = broken === 'deadlines' || !item.deadlineMs ? callDeadline : Math.min(item.deadlineMs, callDeadline);
    const text = item.fields.text;
    const data = item.blobs.data;
    if (broken !== 'missing-input' && (text === undefined || data === undefined)) return answer('FAILED', 'INPUT_INVALID', `missing required input \`${text === undefined ? 'text' : 'data'}\``);
    if (broken !== 'oversized-input' && ((text?.length ?? 0) > 1024 || (data?.length ?? 0) > 4096)) return answer('FAILED', 'INPUT_TOO_LARGE', `input \`${(text?.length ?? 0) > 1024 ? 'text' : 'data'}\` is over its limit`);
    let value: unknown = '';
    try {
      value = text ? JSON.parse(Buffer.from(text).toString('utf8')) : '';
    } catch {
      if (broken !== 'wrong-type') return answer('FAILED', 'INPUT_INVALID', 'input `text` is not valid JSON');
      value = Buffer.from(text!).toString('utf8');
    }
    if (typeof value !== 'string' && broken !== 'wrong-type') return answer('FAILED', 'INPUT_INVALID', 'input `text` must be a string');
    if (Date.now() >= deadline) return answer('RETRY', 'DEADLINE_EXCEEDED', 'the deadline passed before the item started');
    if (broken === 'concurrent-calls') shared = item;
    const remaining = deadline - Date.now();
    if (remaining < delayMs) {
      await sleep(remaining);
      return answer('RETRY', 'DEADLINE_EXCEEDED', 'the item ran out of time');
    }
    await sleep(delayMs);
    const source = broken === 'concurrent-calls' ? shared! : item;
    const out = answer('OK');
    out.fields.upper = toJson(String(source === item ? value : JSON.parse(Buffer.from(source.fields.text ?? toJson('')).toString('utf8'))).toUpperCase());
    if (broken !== 'echo-matches-describe') out.fields.length = toJson((source.blobs.data ?? new Uint8Array()).length);
    if (broken === 'declared-fields-only') out.fields.debug = toJson('internal state');
    out.blobs.copy = source.blobs.data ?? new Uint8Array();
    return out;
  }

  function authorised(metadata: Metadata): boolean {
    if (!options.token || broken === 'token') return true;
    return metadata.get('authorization')[0] === `Bearer ${options.token}`;
  }

  function admit(call: ServerUnaryCall<{ operator?: string }, unknown>, callback: sendUnaryData<never>): boolean {
    if (!authorised(call.metadata)) {
      callback({ code: status.UNAUTHENTICATED, details: 'missing or wrong bearer token' });
      return false;
    }
    if (call.request.operator !== NAME && broken !== 'unknown-operator') {
      callback({ code: status.UNIMPLEMENTED, details: `no operator \`${call.request.operator}\` here` });
      return false;
    }
    if (inFlight >= capacity && broken !== 'backpressure') {
      callback({ code: status.RESOURCE_EXHAUSTED, details: 'at capacity' });
      return false;
    }
    return true;
  }

  const callDeadline = (call: ServerUnaryCall<unknown, unknown>) => {
    const d = call.getDeadline();
    return d instanceof Date ? d.getTime() : Number.isFinite(d) ? Number(d) : Date.now() + 60_000;
  };
  const server = new Server({ 'grpc.max_receive_message_length': 64 << 20 });
  server.addService(operatorContract, {
    echo(call: ServerUnaryCall<WireItem, WireAnswer>, callback: sendUnaryData<WireAnswer>) {
      if (!admit(call, callback)) return;
      inFlight += 1;
      void one(call.request, callDeadline(call)).then((a) => callback(null, a)).finally(() => (inFlight -= 1));
    },
    echoBatch(call: ServerUnaryCall<{ operator: string; items: WireItem[] }, { items: WireAnswer[] }>, callback: sendUnaryData<{ items: WireAnswer[] }>) {
      if (!admit(call, callback)) return;
      inFlight += 1;
      const deadline = callDeadline(call);
      void Promise.all(call.request.items.map((item) => one(item, deadline)))
        .then((items) => {
          // Broken: one bad item fails its batch-mates.
          const bad = items.find((a) => a.status !== 'OK');
          callback(null, { items: broken === 'batch-statuses' && bad ? items.map(() => bad) : items });
        })
        .finally(() => (inFlight -= 1));
    },
    describe(call: ServerUnaryCall<object, unknown>, callback: sendUnaryData<{ operators: WireDescription[] }>) {
      if (!authorised(call.metadata)) return callback({ code: status.UNAUTHENTICATED, details: 'missing or wrong bearer token' });
      callback(null, { operators: [description] });
    },
    health(call: ServerUnaryCall<object, unknown>, callback: sendUnaryData<{ serving: boolean; inFlight: number; capacity: number }>) {
      if (!authorised(call.metadata)) return callback({ code: status.UNAUTHENTICATED, details: 'missing or wrong bearer token' });
      callback(null, { serving: true, inFlight: broken === 'health' ? 0 : inFlight, capacity });
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return {
    address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
