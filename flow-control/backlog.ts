import type { GateItem, Priority } from './gate-item.ts';

/**
 * Durable per-priority backlogs in front of a DAG. At-least-once: an item handed out by
 * `pull` stays owed until `ack`; if the process dies first, a reopened backlog hands it
 * out again. Within one open backlog an unacked item is never handed out twice.
 */
export interface Backlog {
  push(items: readonly GateItem[]): Promise<void>;
  /** Up to `max` items of one class, oldest first; may return fewer than are waiting. */
  pull(cls: Priority, max: number): Promise<GateItem[]>;
  /** The items are admitted (durably handed on): forget them. */
  ack(cls: Priority, ids: readonly string[]): Promise<void>;
  /** Items pushed and not yet acked (pulled-but-unacked included). */
  size(cls: Priority): Promise<number>;
  /** Age of the oldest unacked item this backlog knows of, 0 when empty. */
  oldestAgeMs(cls: Priority, nowMs: number): Promise<number>;
  close(): Promise<void>;
}
