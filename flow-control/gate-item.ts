// What a backlog stores: small (references only), so millions fit in a durable queue.

import type { Priority, ResourceClass, Resume } from '../framework/admission/index.ts';

export type { Priority, ResourceClass };
export const PRIORITIES = ['high', 'normal', 'low'] as const satisfies readonly Priority[];

export interface GateItem {
  /** Unique message id created at the source; carried by every descendant. */
  id: string;
  dag: string;
  itemKey: string;
  priority: Priority;
  tenant: string;
  resource: ResourceClass;
  source: Record<string, string>;
  traceparent?: string;
  parentId?: string;
  /** The item's first message id when it is a replay. */
  originId?: string;
  deadlineMs?: number;
  /** When the item first reached the gate (the start of its ingest latency). */
  enqueuedMs: number;
  /** A dead letter's replay that starts at a node (see the admission port's `Resume`). */
  resume?: Resume;
}

export function isPriority(v: unknown): v is Priority {
  return typeof v === 'string' && (PRIORITIES as readonly string[]).includes(v);
}

/** JSON round-trip used by every durable adapter, so they agree on the bytes. */
export function encodeGateItem(item: GateItem): string {
  return JSON.stringify(item);
}

export function decodeGateItem(text: string): GateItem {
  return JSON.parse(text) as GateItem;
}
