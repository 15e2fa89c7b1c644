// Encoding of the wire contract (proto/quarry.proto) with protobufjs, loaded once at start.
// The TS shapes below mirror the .proto; `decode*` validates what arrives from the bus.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { QuarryError } from '../errors/index.ts';

export const PROTO_PATH = fileURLToPath(new URL('../../proto/quarry.proto', import.meta.url));

const root = protobuf.loadSync(PROTO_PATH);
const lookup = (name: string): protobuf.Type => root.lookupType(`quarry.v1.${name}`);

export const TriggerType = lookup('Trigger');
export const EchoRequestType = lookup('EchoRequest');
export const EchoResponseType = lookup('EchoResponse');
export const EchoBatchRequestType = lookup('EchoBatchRequest');
export const EchoBatchResponseType = lookup('EchoBatchResponse');
export const DescribeRequestType = lookup('DescribeRequest');
export const DescribeResponseType = lookup('DescribeResponse');
export const HealthRequestType = lookup('HealthRequest');
export const HealthResponseType = lookup('HealthResponse');
export const DeadLetterType = lookup('DeadLetter');

export type Priority = 'high' | 'normal' | 'low';

export interface Trigger {
  messageId: string;
  itemKey: string;
  dag: string;
  dagVersion: number;
  node: string;
  tupleRef: string;
  tupleVersion: number;
  priority: Priority;
  tenant: string;
  attempt: number;
  deadlineMs: number;
  traceparent: string;
  tracestate: string;
  parentId: string;
  fromNode: string;
  createdMs: number;
  source: Record<string, string>;
  notBeforeMs: number;
  /** The item's first message id, kept across re-drives and replays ('' = messageId). */
  originId?: string;
}

/** The key an item's effects are deduplicated by: unchanged across re-drives and replays. */
export const idempotencyKeyOf = (t: Pick<Trigger, 'messageId' | 'originId'>): string => t.originId || t.messageId;

export type EchoStatus = 'OK' | 'FILTERED' | 'RETRY' | 'FAILED';

export interface EchoRequest {
  trigger: Trigger;
  operator: string;
  fields: Record<string, Uint8Array>;
  blobs: Record<string, Uint8Array>;
  /** Epoch ms by which this item must be answered (0 = the call's deadline). */
  deadlineMs?: number;
  /** The caller's span for this item (W3C); empty = the trigger's traceparent. */
  traceparent?: string;
  tracestate?: string;
}

export interface EchoBatchRequest {
  operator: string;
  items: EchoRequest[];
}

export interface WireChild {
  itemKey: string;
  dag: string;
  source: Record<string, string>;
}

export interface EchoResponse {
  status: EchoStatus;
  errorCode: string;
  message: string;
  retryAfterMs: number;
  fields: Record<string, Uint8Array>;
  blobs: Record<string, Uint8Array>;
  children: WireChild[];
}

export interface WireFieldSpec {
  name: string;
  kind: 'json' | 'blob' | 'blob-ref';
  description: string;
  optional: boolean;
  /** Inputs larger than this are refused with INPUT_TOO_LARGE (0 = no limit). */
  maxBytes?: number;
}

export interface OperatorDescription {
  name: string;
  version: string;
  inputs: WireFieldSpec[];
  outputs: WireFieldSpec[];
  resource: 'cpu' | 'gpu';
  /** Items one EchoBatch call may carry (≤ 1: one at a time, unary Echo). */
  maxBatch?: number;
  /** The operator handles a whole batch in one go (a model run). */
  batchNative?: boolean;
  /** Items one instance works on at once. */
  concurrency?: number;
}

export interface DeadLetter {
  trigger?: Trigger;
  raw: Uint8Array;
  node: string;
  attempts: number;
  errorCode: string;
  lastError: string;
  traceId: string;
  atMs: number;
  sourceTopic: string;
  quarantined: boolean;
  /** The item's tuple fields when it failed (JSON text or blob references), so a replay can resume there. */
  inputs?: Record<string, Uint8Array>;
}

const PRIORITY_TO_WIRE: Record<Priority, string> = { high: 'HIGH', normal: 'NORMAL', low: 'LOW' };
const PRIORITY_FROM_WIRE: Record<string, Priority> = { HIGH: 'high', NORMAL: 'normal', LOW: 'low', PRIORITY_UNSPECIFIED: 'normal' };

const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, bytes: Buffer as unknown as typeof String, defaults: true, arrays: true, objects: true };

function encodeWith(type: protobuf.Type, value: object): Uint8Array {
  return type.encode(type.fromObject(value)).finish();
}

// The hot messages (triggers, Echo calls and answers) skip `fromObject`, a second copy of every
// message: our shapes are the wire's already, but for enums, which go as their numbers.
const PRIORITY_NUMBER = root.lookupEnum('quarry.v1.Priority').values;
const STATUS_NUMBER = root.lookupEnum('quarry.v1.Status').values;

function triggerToWire(t: Trigger): object {
  return { ...t, priority: PRIORITY_NUMBER[PRIORITY_TO_WIRE[t.priority]] ?? 0 };
}

const responseToWire = (r: EchoResponse): object => ({ ...r, status: STATUS_NUMBER[r.status] ?? 0 });

function triggerFromWire(o: Record<string, unknown>): Trigger {
  return { ...(o as unknown as Trigger), priority: PRIORITY_FROM_WIRE[String(o.priority)] ?? 'normal' };
}

export function encodeTrigger(t: Trigger): Uint8Array {
  return TriggerType.encode(triggerToWire(t)).finish();
}

/** Decode and validate a trigger; a malformed message is a non-retryable `BAD_TRIGGER`. */
export function decodeTrigger(bytes: Uint8Array): Trigger {
  let o: Record<string, unknown>;
  try {
    o = TriggerType.toObject(TriggerType.decode(bytes), TO_OBJECT);
  } catch (err) {
    throw new QuarryError('BAD_TRIGGER', `not a valid trigger message (${bytes.length} bytes): ${(err as Error).message}`, { cause: err });
  }
  const missing = ['messageId', 'dag', 'node', 'tupleRef'].filter((k) => !o[k]);
  if (missing.length > 0) {
    throw new QuarryError('BAD_TRIGGER', `trigger message lacks required field(s): ${missing.join(', ')}`);
  }
  return triggerFromWire(o);
}

export function encodeEchoRequest(r: EchoRequest): Uint8Array {
  return EchoRequestType.encode({ ...r, trigger: triggerToWire(r.trigger) }).finish();
}

export function decodeEchoRequest(bytes: Uint8Array): EchoRequest {
  const o = EchoRequestType.toObject(EchoRequestType.decode(bytes), TO_OBJECT) as Record<string, unknown>;
  return { ...(o as unknown as EchoRequest), trigger: triggerFromWire((o.trigger ?? {}) as Record<string, unknown>) };
}

export function encodeEchoResponse(r: EchoResponse): Uint8Array {
  return EchoResponseType.encode(responseToWire(r)).finish();
}

function responseFromWire(o: EchoResponse): EchoResponse {
  if ((o.status as string) === 'STATUS_UNSPECIFIED') o.status = 'FAILED';
  return o;
}

export function decodeEchoResponse(bytes: Uint8Array): EchoResponse {
  return responseFromWire(EchoResponseType.toObject(EchoResponseType.decode(bytes), TO_OBJECT) as unknown as EchoResponse);
}

export function encodeEchoBatchRequest(r: EchoBatchRequest): Uint8Array {
  return EchoBatchRequestType.encode({ operator: r.operator, items: r.items.map((i) => ({ ...i, trigger: triggerToWire(i.trigger) })) }).finish();
}

export function decodeEchoBatchRequest(bytes: Uint8Array): EchoBatchRequest {
  const o = EchoBatchRequestType.toObject(EchoBatchRequestType.decode(bytes), TO_OBJECT) as { operator: string; items: Record<string, unknown>[] };
  return { operator: o.operator, items: o.items.map((i) => ({ ...(i as unknown as EchoRequest), trigger: triggerFromWire((i.trigger ?? {}) as Record<string, unknown>) })) };
}

export function encodeEchoBatchResponse(items: readonly EchoResponse[]): Uint8Array {
  return EchoBatchResponseType.encode({ items: items.map(responseToWire) }).finish();
}

export function decodeEchoBatchResponse(bytes: Uint8Array): EchoResponse[] {
  const o = EchoBatchResponseType.toObject(EchoBatchResponseType.decode(bytes), TO_OBJECT) as { items: EchoResponse[] };
  return o.items.map(responseFromWire);
}

export function encodeDescribeResponse(operators: OperatorDescription[]): Uint8Array {
  return encodeWith(DescribeResponseType, { operators });
}

export function decodeDescribeResponse(bytes: Uint8Array): OperatorDescription[] {
  const o = DescribeResponseType.toObject(DescribeResponseType.decode(bytes), TO_OBJECT) as { operators: OperatorDescription[] };
  return o.operators;
}

export function encodeDeadLetter(d: DeadLetter): Uint8Array {
  return encodeWith(DeadLetterType, { ...d, trigger: d.trigger ? triggerToWire(d.trigger) : undefined });
}

export function decodeDeadLetter(bytes: Uint8Array): DeadLetter {
  const o = DeadLetterType.toObject(DeadLetterType.decode(bytes), { ...TO_OBJECT, defaults: true }) as Record<string, unknown>;
  const t = o.trigger as Record<string, unknown> | undefined;
  return { ...(o as unknown as DeadLetter), trigger: t && t.messageId ? triggerFromWire(t) : undefined };
}

export function traceIdOf(traceparent: string): string {
  const parts = traceparent.split('-');
  return parts.length >= 4 && parts[1] ? parts[1] : '';
}
