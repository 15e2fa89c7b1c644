// The wrapper the framework puts around every handler: decode and validate inputs, enforce the
// deadline, map errors to per-item statuses, validate outputs. The handler sees none of it.
import { context, SpanStatusCode, trace, propagation, type Context, type Span } from '@opentelemetry/api';
import { z } from 'zod';
import { errorCode, errorMessage, FilteredError, QuarryError } from '../errors/index.ts';
import { traceIdOf, type EchoRequest, type EchoResponse, type OperatorDescription, type WireChild, type WireFieldSpec } from '../wire/index.ts';
import { fieldKind, isOptionalField, type ChildItem, type FieldDecls, type OperatorDefinition } from './define-operator.ts';

const tracer = trace.getTracer('quarry-operator');
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function describeOperator(def: OperatorDefinition): OperatorDescription {
  const specs = (decls: FieldDecls): WireFieldSpec[] =>
    Object.entries(decls).map(([name, decl]) => ({
      name,
      kind: fieldKind(decl),
      description: decl instanceof z.ZodType ? (decl.description ?? '') : decl.description,
      optional: isOptionalField(decl),
    }));
  return { name: def.name, version: def.version, inputs: specs(def.inputs), outputs: specs(def.outputs), resource: def.resource };
}

function failure(status: EchoResponse['status'], code: string, message: string, retryAfterMs = 0): EchoResponse {
  return { status, errorCode: code, message, retryAfterMs, fields: {}, blobs: {}, children: [] };
}

/** Turn wire inputs into the handler's typed input; a problem is a per-item INPUT_INVALID. */
function decodeInputs(def: OperatorDefinition, req: EchoRequest): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, decl] of Object.entries(def.inputs)) {
    const kind = fieldKind(decl);
    const raw = kind === 'blob' ? req.blobs[name] : req.fields[name];
    if (raw === undefined) {
      if (!isOptionalField(decl)) problems.push(`missing required input \`${name}\``);
      continue;
    }
    if (kind === 'blob') {
      input[name] = raw;
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(raw));
    } catch {
      problems.push(`input \`${name}\` is not valid JSON`);
      continue;
    }
    if (kind === 'blob-ref') {
      if (typeof value === 'string') input[name] = value;
      else problems.push(`input \`${name}\` must be a blob reference string`);
      continue;
    }
    const parsed = (decl as z.ZodTypeAny).safeParse(value);
    if (parsed.success) input[name] = parsed.data;
    else problems.push(`input \`${name}\`: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'value'} ${i.message}`).join('; ')}`);
  }
  if (problems.length > 0) throw new QuarryError('INPUT_INVALID', `operator \`${def.name}\`: ${problems.join(', ')}`);
  return input;
}

function encodeOutputs(def: OperatorDefinition, output: Record<string, unknown>): Pick<EchoResponse, 'fields' | 'blobs'> {
  const fields: Record<string, Uint8Array> = {};
  const blobs: Record<string, Uint8Array> = {};
  const problems: string[] = [];
  for (const [name, decl] of Object.entries(def.outputs)) {
    const value = output[name];
    const kind = fieldKind(decl);
    if (value === undefined) {
      if (!isOptionalField(decl)) problems.push(`missing output \`${name}\``);
      continue;
    }
    if (kind === 'blob') {
      if (value instanceof Uint8Array) blobs[name] = value;
      else problems.push(`output \`${name}\` must be a Uint8Array`);
      continue;
    }
    if (kind === 'blob-ref') {
      if (typeof value === 'string') fields[name] = encoder.encode(JSON.stringify(value));
      else problems.push(`output \`${name}\` must be a blob reference string`);
      continue;
    }
    const parsed = (decl as z.ZodTypeAny).safeParse(value);
    if (parsed.success) fields[name] = encoder.encode(JSON.stringify(parsed.data));
    else problems.push(`output \`${name}\`: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'value'} ${i.message}`).join('; ')}`);
  }
  for (const name of Object.keys(output)) {
    if (!(name in def.outputs)) problems.push(`undeclared output \`${name}\``);
  }
  if (problems.length > 0) throw new QuarryError('OUTPUT_INVALID', `operator \`${def.name}\`: ${problems.join(', ')}`);
  return { fields, blobs };
}

export function errorToResponse(err: unknown): EchoResponse {
  if (err instanceof FilteredError || errorCode(err) === 'FILTERED') {
    return failure('FILTERED', 'FILTERED', (err as FilteredError).reason ?? errorMessage(err));
  }
  if (err instanceof QuarryError && err.retryable) {
    return failure('RETRY', err.code, err.message, err.retryAfterMs ?? 0);
  }
  return failure('FAILED', errorCode(err), errorMessage(err));
}

export interface InvokeOptions {
  /** Epoch ms; the handler is aborted then. */
  deadline: number;
  signal?: AbortSignal;
  now?: () => number;
}

/** Run one operator on one echo request. Never throws: every outcome is a response. */
export async function invokeOperator(def: OperatorDefinition, req: EchoRequest, options: InvokeOptions): Promise<EchoResponse> {
  const now = options.now ?? Date.now;
  const parent: Context = propagation.extract(context.active(), { traceparent: req.trigger.traceparent, tracestate: req.trigger.tracestate });
  return tracer.startActiveSpan<(span: Span) => Promise<EchoResponse>>(`operator ${def.name}`, { attributes: { 'quarry.operator': def.name, 'quarry.node': req.trigger.node, 'quarry.item_key': req.trigger.itemKey } }, parent, async (span) => {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const remaining = Math.max(0, options.deadline - now());
    let timer: NodeJS.Timeout | undefined;
    try {
      const input = decodeInputs(def, req);
      const children: WireChild[] = [];
      const t = req.trigger;
      const ctx = {
        signal: controller.signal,
        deadline: options.deadline,
        attempt: t.attempt,
        trigger: { messageId: t.messageId, itemKey: t.itemKey, dag: t.dag, node: t.node, tenant: t.tenant, priority: t.priority, source: t.source, traceId: traceIdOf(t.traceparent) },
        log: makeLogger(def.name, t.itemKey),
        span,
        emit(child: ChildItem) {
          children.push({ itemKey: child.itemKey, dag: child.dag, source: child.source });
        },
      };
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort(new QuarryError('DEADLINE_EXCEEDED', `operator \`${def.name}\` exceeded its deadline`));
          reject(new QuarryError('DEADLINE_EXCEEDED', `operator \`${def.name}\` exceeded its deadline of ${remaining} ms`, { retryable: true }));
        }, remaining);
      });
      const output = (await Promise.race([def.handler(input as never, ctx), deadline])) as Record<string, unknown> | undefined;
      const encoded = encodeOutputs(def, output ?? {});
      span.setStatus({ code: SpanStatusCode.OK });
      return { status: 'OK' as const, errorCode: '', message: '', retryAfterMs: 0, ...encoded, children };
    } catch (err) {
      const res = errorToResponse(err);
      if (res.status !== 'FILTERED') span.setStatus({ code: SpanStatusCode.ERROR, message: res.message });
      span.setAttribute('quarry.status', res.status);
      return res;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      span.end();
    }
  });
}

function makeLogger(operator: string, itemKey: string) {
  const write = (level: string) => (message: string, attributes?: Record<string, unknown>) => {
    if (level === 'info' && process.env.QUARRY_LOG_LEVEL !== 'debug') return;
    process.stderr.write(`${JSON.stringify({ level, operator, itemKey, message, ...attributes })}\n`);
  };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}
