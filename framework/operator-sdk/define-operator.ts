// An operator is a plain async function with declared inputs and outputs. The framework wraps
// it with validation, deadlines, error mapping, spans and metrics; the handler sees none of it.
import { z } from 'zod';
import type { Span } from '@opentelemetry/api';

export type ResourceClass = 'cpu' | 'gpu';

/** A field whose value is big bytes kept in the blob store ("processor input/output"). */
export interface BlobField<Opt extends boolean = boolean> {
  readonly kind: 'blob';
  readonly description: string;
  readonly optional: Opt;
  /** Inputs larger than this are refused with INPUT_TOO_LARGE (0 = no limit). */
  readonly maxBytes: number;
}

export function blob(description: string, options: { optional: true; maxBytes?: number }): BlobField<true>;
export function blob(description?: string, options?: { optional?: false; maxBytes?: number }): BlobField<false>;
export function blob(description = '', options: { optional?: boolean; maxBytes?: number } = {}): BlobField {
  const maxBytes = options.maxBytes ?? 0;
  if (!Number.isInteger(maxBytes) || maxBytes < 0) throw new TypeError(`blob \`maxBytes\` must be an integer ≥ 0, got ${maxBytes}`);
  return { kind: 'blob', description, optional: options.optional ?? false, maxBytes };
}

/**
 * A field holding a blob *reference* (a string) rather than its bytes: for operators that only
 * record where a blob lives (e.g. a relation writer storing a thumbnail reference).
 */
export interface BlobRefField<Opt extends boolean = boolean> {
  readonly kind: 'blob-ref';
  readonly description: string;
  readonly optional: Opt;
}

export function blobRef(description: string, options: { optional: true }): BlobRefField<true>;
export function blobRef(description?: string, options?: { optional?: false }): BlobRefField<false>;
export function blobRef(description = '', options: { optional?: boolean } = {}): BlobRefField {
  return { kind: 'blob-ref', description, optional: options.optional ?? false };
}

export type FieldDecl = z.ZodTypeAny | BlobField | BlobRefField;
export type FieldDecls = Record<string, FieldDecl>;

type ValueOf<D> = D extends BlobField ? Uint8Array : D extends BlobRefField ? string : D extends z.ZodTypeAny ? z.infer<D> : never;
type OptionalKeys<Ds extends FieldDecls> = {
  [K in keyof Ds]: Ds[K] extends BlobField | BlobRefField ? never : undefined extends ValueOf<Ds[K]> ? K : never;
}[keyof Ds];
type OptionalBlobKeys<Ds extends FieldDecls> = {
  [K in keyof Ds]: Ds[K] extends BlobField<true> | BlobRefField<true> ? K : never;
}[keyof Ds];

/** Values of declared fields: JSON fields as their zod type, blob fields as bytes. */
export type FieldValuesOf<Ds extends FieldDecls> = {
  [K in Exclude<keyof Ds, OptionalKeys<Ds> | OptionalBlobKeys<Ds>>]: ValueOf<Ds[K]>;
} & {
  [K in OptionalKeys<Ds> | OptionalBlobKeys<Ds>]?: ValueOf<Ds[K]>;
};

export interface OperatorLogger {
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/** What the handler knows of the item it works on: references, never transport types. */
export interface TriggerInfo {
  messageId: string;
  /**
   * The key to deduplicate this item's effects by: the same across redeliveries, re-drives after
   * lost state, and dead-letter replays (a new message id each time, never a new key).
   */
  idempotencyKey: string;
  itemKey: string;
  dag: string;
  node: string;
  tenant: string;
  priority: 'high' | 'normal' | 'low';
  source: Readonly<Record<string, string>>;
  traceId: string;
}

export interface ChildItem {
  itemKey: string;
  /** The DAG the child enters, through the gate; it inherits priority, tenant and trace. */
  dag: string;
  source: Record<string, string>;
}

export interface OperatorContext {
  signal: AbortSignal;
  /** Epoch ms by which the handler must have answered. */
  deadline: number;
  attempt: number;
  trigger: TriggerInfo;
  log: OperatorLogger;
  span: Span;
  /** Fan-out: emit a child item into another DAG. */
  emit(child: ChildItem): void;
}

/** One item of a batch call: its decoded input and its own context (deadline, signal, trigger). */
export interface BatchItem<I extends FieldDecls = FieldDecls> {
  input: FieldValuesOf<I>;
  ctx: OperatorContext;
}

/** The whole call: aborted once every item's deadline has passed (or the caller cancelled). */
export interface BatchContext {
  signal: AbortSignal;
  /** The latest item deadline (epoch ms). */
  deadline: number;
}

/** One result per item, in order: the item's output, or an Error that fails that item alone. */
export type BatchResults<O extends FieldDecls> = (FieldValuesOf<O> | Error)[];

interface OperatorSpecBase<I extends FieldDecls, O extends FieldDecls> {
  name: string;
  version: string;
  description?: string;
  resource?: ResourceClass;
  inputs: I;
  outputs: O;
  /**
   * Items one instance works on at once: concurrent handler calls (default 16), or concurrent
   * batch-handler calls (default 1).
   */
  concurrency?: number;
  /** Items per EchoBatch call, and the batch handler's chunk size (default 64). */
  maxBatch?: number;
}

export interface PerItemOperatorSpec<I extends FieldDecls, O extends FieldDecls> extends OperatorSpecBase<I, O> {
  handler(input: NoInfer<FieldValuesOf<I>>, ctx: OperatorContext): Promise<NoInfer<FieldValuesOf<O>>>;
  batchHandler?: never;
}

/** A model operator: one call for a whole batch (one batched inference). */
export interface BatchOperatorSpec<I extends FieldDecls, O extends FieldDecls> extends OperatorSpecBase<I, O> {
  batchHandler(items: readonly BatchItem<NoInfer<I>>[], batch: BatchContext): Promise<NoInfer<BatchResults<O>>>;
  handler?: never;
}

export type OperatorSpec<I extends FieldDecls, O extends FieldDecls> = PerItemOperatorSpec<I, O> | BatchOperatorSpec<I, O>;

export interface OperatorDefinition<I extends FieldDecls = FieldDecls, O extends FieldDecls = FieldDecls> {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly resource: ResourceClass;
  readonly inputs: I;
  readonly outputs: O;
  readonly concurrency: number;
  readonly maxBatch: number;
  // Method syntax on purpose: a definition of specific fields is usable where any definition is.
  handler?(input: FieldValuesOf<I>, ctx: OperatorContext): Promise<FieldValuesOf<O>>;
  batchHandler?(items: readonly BatchItem<I>[], batch: BatchContext): Promise<BatchResults<O>>;
}

/** A per-item operator's definition: `handler` is there to call (tests call it directly). */
export interface PerItemOperatorDefinition<I extends FieldDecls = FieldDecls, O extends FieldDecls = FieldDecls> extends OperatorDefinition<I, O> {
  handler(input: FieldValuesOf<I>, ctx: OperatorContext): Promise<FieldValuesOf<O>>;
}

export interface BatchOperatorDefinition<I extends FieldDecls = FieldDecls, O extends FieldDecls = FieldDecls> extends OperatorDefinition<I, O> {
  batchHandler(items: readonly BatchItem<I>[], batch: BatchContext): Promise<BatchResults<O>>;
}

const NAME = /^[a-z][a-z0-9-]{0,62}$/;
const FIELD = /^[a-zA-Z][a-zA-Z0-9_]{0,62}$/;

export function defineOperator<I extends FieldDecls, O extends FieldDecls>(spec: PerItemOperatorSpec<I, O>): PerItemOperatorDefinition<I, O>;
export function defineOperator<I extends FieldDecls, O extends FieldDecls>(spec: BatchOperatorSpec<I, O>): BatchOperatorDefinition<I, O>;
export function defineOperator<I extends FieldDecls, O extends FieldDecls>(spec: OperatorSpec<I, O>): OperatorDefinition<I, O> {
  if (!NAME.test(spec.name)) {
    throw new TypeError(`Operator name \`${spec.name}\` must be lower-case kebab-case (a-z, 0-9, -), 1–63 characters`);
  }
  for (const [side, decls] of [['input', spec.inputs], ['output', spec.outputs]] as const) {
    for (const field of Object.keys(decls)) {
      if (!FIELD.test(field)) throw new TypeError(`Operator \`${spec.name}\` ${side} field \`${field}\` must match ${FIELD}`);
    }
  }
  const batchNative = typeof spec.batchHandler === 'function';
  if (batchNative === (typeof spec.handler === 'function')) {
    throw new TypeError(`Operator \`${spec.name}\` needs exactly one of \`handler\` (per item) and \`batchHandler\` (per batch)`);
  }
  const concurrency = spec.concurrency ?? (batchNative ? 1 : 16);
  const maxBatch = spec.maxBatch ?? 64;
  for (const [field, value] of [['concurrency', concurrency], ['maxBatch', maxBatch]] as const) {
    if (!Number.isInteger(value) || value < 1 || value > 10_000) throw new TypeError(`Operator \`${spec.name}\` \`${field}\` must be an integer from 1 to 10000, got ${value}`);
  }
  return Object.freeze({
    name: spec.name,
    version: spec.version,
    description: spec.description ?? '',
    resource: spec.resource ?? 'cpu',
    inputs: spec.inputs,
    outputs: spec.outputs,
    concurrency,
    maxBatch,
    ...(batchNative ? { batchHandler: spec.batchHandler } : { handler: spec.handler }),
  }) as OperatorDefinition<I, O>;
}

export function isBlobField(decl: FieldDecl): decl is BlobField {
  return !(decl instanceof z.ZodType) && decl.kind === 'blob';
}

export function isBlobRefField(decl: FieldDecl): decl is BlobRefField {
  return !(decl instanceof z.ZodType) && decl.kind === 'blob-ref';
}

/** The wire kind of a declared field: JSON text, blob bytes, or a blob reference (JSON string). */
export function fieldKind(decl: FieldDecl): 'json' | 'blob' | 'blob-ref' {
  return decl instanceof z.ZodType ? 'json' : decl.kind;
}

/** The declared byte limit of an input (0 = none). */
export function maxBytesOf(decl: FieldDecl): number {
  return decl instanceof z.ZodType ? 0 : decl.kind === 'blob' ? decl.maxBytes : 0;
}

export function isOptionalField(decl: FieldDecl): boolean {
  return decl instanceof z.ZodType ? decl.safeParse(undefined).success : decl.optional;
}
