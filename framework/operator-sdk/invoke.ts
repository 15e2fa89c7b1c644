// The wrapper the framework puts around every handler: decode and validate inputs, enforce each
// item's deadline, map errors to per-item statuses, validate outputs, one span per item. A batch
// is the unit: a per-item handler is spread over it within the operator's concurrency, a batch
// handler gets it in chunks of `maxBatch`. The handler sees none of it. The same wrapper runs
// behind gRPC (serve.ts) and in the miner's own process (in-process operators).
import { context, SpanStatusCode, trace, propagation, type Span } from '@opentelemetry/api';
import { QuarryError } from '../errors/index.ts';
import { idempotencyKeyOf, traceIdOf, type EchoRequest, type EchoResponse, type OperatorDescription, type WireChild } from '../wire/index.ts';
import type { BatchItem, ChildItem, OperatorContext, OperatorDefinition } from './define-operator.ts';
import { decodeInputs, describeFields, encodeOutputs, errorToResponse, failure } from './internal/fields.ts';
import { limiterFor } from './internal/limiter.ts';

export { errorToResponse } from './internal/fields.ts';

const tracer = trace.getTracer('quarry-operator');

export function describeOperator(def: OperatorDefinition): OperatorDescription {
  return {
    name: def.name,
    version: def.version,
    inputs: describeFields(def.inputs),
    outputs: describeFields(def.outputs),
    resource: def.resource,
    maxBatch: def.maxBatch,
    batchNative: def.batchHandler !== undefined,
    concurrency: def.concurrency,
  };
}

export interface InvokeOptions {
  /** Epoch ms: the call's deadline, for items that carry none of their own. */
  deadline: number;
  signal?: AbortSignal;
  now?: () => number;
}

/** One item on its way through the wrapper. */
interface Pending {
  req: EchoRequest;
  deadline: number;
  controller: AbortController;
  span: Span;
  ctx: OperatorContext;
  children: WireChild[];
  input?: Record<string, unknown>;
  response?: EchoResponse;
}

const expired = (def: OperatorDefinition, p: Pending, now: number): EchoResponse =>
  failure('RETRY', 'DEADLINE_EXCEEDED', `operator \`${def.name}\` exceeded its deadline of ${Math.max(0, p.deadline - now)} ms`);

/** Run one operator on a batch of requests. Never throws: one response per request, in order. */
export async function invokeBatch(def: OperatorDefinition, reqs: readonly EchoRequest[], options: InvokeOptions): Promise<EchoResponse[]> {
  const now = options.now ?? Date.now;
  const items = reqs.map((req) => start(def, req, req.deadlineMs && req.deadlineMs > 0 ? req.deadlineMs : options.deadline, options.signal));
  // One listener for the whole call: the caller cancelling aborts every item.
  const cancel = (): void => items.forEach((p) => p.controller.abort(options.signal?.reason));
  if (options.signal && !options.signal.aborted) options.signal.addEventListener('abort', cancel, { once: true });
  const valid: Pending[] = [];
  for (const p of items) {
    if (p.response) continue;
    try {
      p.input = decodeInputs(def, p.req);
      valid.push(p);
    } catch (err) {
      p.response = errorToResponse(err);
    }
  }
  if (valid.length > 0) {
    if (def.batchHandler) await runBatches(def, valid, now);
    else await runEach(def, valid, now);
  }
  options.signal?.removeEventListener('abort', cancel);
  return items.map((p) => finish(p));
}

/** Run one operator on one request. Never throws. */
export async function invokeOperator(def: OperatorDefinition, req: EchoRequest, options: InvokeOptions): Promise<EchoResponse> {
  return (await invokeBatch(def, [req], options))[0]!;
}

function start(def: OperatorDefinition, req: EchoRequest, deadline: number, signal: AbortSignal | undefined): Pending {
  const t = req.trigger;
  const carrier = req.traceparent ? { traceparent: req.traceparent, tracestate: req.tracestate ?? '' } : { traceparent: t.traceparent, tracestate: t.tracestate };
  const parent = propagation.extract(context.active(), carrier);
  const span = tracer.startSpan(`operator ${def.name}`, { attributes: { 'quarry.operator': def.name, 'quarry.node': t.node, 'quarry.item_key': t.itemKey } }, parent);
  const controller = new AbortController();
  if (signal?.aborted) controller.abort(signal.reason);
  const children: WireChild[] = [];
  const ctx: OperatorContext = {
    signal: controller.signal,
    deadline,
    attempt: t.attempt,
    trigger: {
      messageId: t.messageId, idempotencyKey: idempotencyKeyOf(t), itemKey: t.itemKey, dag: t.dag, node: t.node, tenant: t.tenant,
      priority: t.priority, source: t.source, traceId: traceIdOf(t.traceparent),
    },
    log: makeLogger(def.name, t.itemKey),
    span,
    emit(child: ChildItem) {
      children.push({ itemKey: child.itemKey, dag: child.dag, source: child.source });
    },
  };
  const p: Pending = { req, deadline, controller, span, ctx, children };
  if (controller.signal.aborted) p.response = failure('RETRY', 'CANCELLED', 'the call was cancelled');
  return p;
}

function settle(def: OperatorDefinition, p: Pending, output: unknown): void {
  if (p.response) return; // already answered (its deadline passed)
  if (output instanceof Error) {
    p.response = errorToResponse(output);
    return;
  }
  try {
    const encoded = encodeOutputs(def, (output ?? {}) as Record<string, unknown>);
    p.response = { status: 'OK', errorCode: '', message: '', retryAfterMs: 0, ...encoded, children: p.children };
  } catch (err) {
    p.response = errorToResponse(err);
  }
}

function finish(p: Pending): EchoResponse {
  const res = p.response ?? failure('FAILED', 'INTERNAL', 'the operator gave no answer for this item');
  if (res.status === 'OK') p.span.setStatus({ code: SpanStatusCode.OK });
  else if (res.status !== 'FILTERED') p.span.setStatus({ code: SpanStatusCode.ERROR, message: res.message });
  p.span.setAttribute('quarry.status', res.status);
  p.span.end();
  return res;
}

/**
 * Resolves when `work` settles or the item's deadline passes, whichever is first; on the
 * deadline the item is answered DEADLINE_EXCEEDED and its signal aborted.
 */
function withDeadline(def: OperatorDefinition, p: Pending, now: () => number, work: Promise<void>): Promise<void> {
  const remaining = p.deadline - now();
  if (remaining <= 0) {
    p.response ??= expired(def, p, now());
    p.controller.abort(new QuarryError('DEADLINE_EXCEEDED', `operator \`${def.name}\` exceeded its deadline`));
    return Promise.resolve();
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      p.response ??= failure('RETRY', 'DEADLINE_EXCEEDED', `operator \`${def.name}\` exceeded its deadline of ${remaining} ms`);
      p.controller.abort(new QuarryError('DEADLINE_EXCEEDED', `operator \`${def.name}\` exceeded its deadline`));
      resolve();
    }, remaining);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** A per-item handler, spread over the batch within the operator's concurrency. */
async function runEach(def: OperatorDefinition, items: readonly Pending[], now: () => number): Promise<void> {
  const limit = limiterFor(def);
  await Promise.all(
    items.map((p) =>
      limit(async () => {
        if (p.deadline <= now()) {
          p.response ??= expired(def, p, now());
          return;
        }
        const work = (async () => {
          try {
            settle(def, p, await def.handler!(p.input as never, p.ctx));
          } catch (err) {
            settle(def, p, err instanceof Error ? err : new Error(String(err)));
          }
        })();
        await withDeadline(def, p, now, work);
      }),
    ),
  );
}

/** A batch handler, called once per chunk of `maxBatch` items. */
async function runBatches(def: OperatorDefinition, items: readonly Pending[], now: () => number): Promise<void> {
  const limit = limiterFor(def);
  const chunks: Pending[][] = [];
  for (let i = 0; i < items.length; i += def.maxBatch) chunks.push(items.slice(i, i + def.maxBatch));
  await Promise.all(
    chunks.map((chunk) =>
      limit(async () => {
        const live = chunk.filter((p) => {
          if (p.deadline > now()) return true;
          p.response ??= expired(def, p, now());
          return false;
        });
        if (live.length === 0) return;
        const controller = new AbortController();
        const deadline = Math.max(...live.map((p) => p.deadline));
        // The call is aborted once every item has been answered some other way (deadlines).
        let open = live.length;
        for (const p of live) p.controller.signal.addEventListener('abort', () => --open === 0 && controller.abort(p.controller.signal.reason), { once: true });
        const work = (async () => {
          let results: unknown[];
          try {
            results = await def.batchHandler!(live.map((p): BatchItem => ({ input: p.input as never, ctx: p.ctx })), { signal: controller.signal, deadline });
          } catch (err) {
            for (const p of live) settle(def, p, err instanceof Error ? err : new Error(String(err)));
            return;
          }
          if (!Array.isArray(results) || results.length !== live.length) {
            const got = Array.isArray(results) ? `${results.length} results` : typeof results;
            for (const p of live) settle(def, p, new QuarryError('OUTPUT_INVALID', `operator \`${def.name}\`: the batch handler returned ${got} for ${live.length} items`));
            return;
          }
          live.forEach((p, i) => settle(def, p, results[i]));
        })();
        await Promise.all(live.map((p) => withDeadline(def, p, now, work)));
      }),
    ),
  );
}

function makeLogger(operator: string, itemKey: string): OperatorContext['log'] {
  const write = (level: string) => (message: string, attributes?: Record<string, unknown>) => {
    if (level === 'info' && process.env.QUARRY_LOG_LEVEL !== 'debug') return;
    process.stderr.write(`${JSON.stringify({ level, operator, itemKey, message, ...attributes })}\n`);
  };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}
