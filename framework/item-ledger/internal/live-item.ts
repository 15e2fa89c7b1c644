// An item in flight, as the memory ledger holds it: its tokens, leases, join arrivals, early end,
// kept fields and history. The rules live in the ledger; this is the state and its small moves.
import type { EarlyEnd, ItemEvent, ItemRecord, StalledItem } from '../item-ledger.ts';
import { MAX_EVENTS, checkStalled, cleanEvent } from './ledger-input.ts';
import type { ItemMeta } from './item-record.ts';

export class LiveItem {
  open: Set<string>;
  done = new Set<string>();
  leases = new Map<string, { owner: string; expiresMs: number }>();
  /** Tokens some owner claimed at least once (an unclaimed open token's trigger may be lost). */
  everClaimed = new Set<string>();
  /** Tokens claimed chained: handed over in process, with no trigger of their own. */
  chained = new Set<string>();
  /** The successor tokens each token opened. */
  successors = new Map<string, string[]>();
  arrivals = new Map<string, Set<string>>();
  fired = new Map<string, string>();
  end?: EarlyEnd;
  kept: Record<string, string> = {};
  events: ItemEvent[] = [];
  redrives = 0;
  /** Last open, commit or re-drive (0 after a restart: whatever was in flight is stalled). */
  activeMs = 0;
  trigger?: Uint8Array;

  constructor(readonly meta: ItemMeta, tokens: readonly string[]) {
    this.open = new Set(tokens);
  }

  /** Open tokens no lease holds at `at`. */
  unheld(at: number): string[] {
    return [...this.open].filter((t) => !((this.leases.get(t)?.expiresMs ?? 0) > at));
  }

  close(token: string): void {
    this.open.delete(token);
    this.leases.delete(token);
    this.done.add(token);
  }

  /** Record an arrival at a join: true for the one that completes it (and its redeliveries). */
  arrive(node: string, from: string, expected: readonly string[]): boolean {
    const fired = this.fired.get(node);
    if (fired !== undefined) return fired === from;
    let arrived = this.arrivals.get(node);
    if (arrived === undefined) this.arrivals.set(node, (arrived = new Set()));
    arrived.add(from);
    if (!expected.every((e) => arrived.has(e))) return false;
    this.fired.set(node, from);
    return true;
  }

  addEvent(event: ItemEvent): void {
    this.events.push(cleanEvent(event));
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
  }

  /** Start again with only `tokens` open: what ran before is forgotten (a re-drive). */
  reset(tokens: readonly string[]): number {
    this.open = new Set(tokens);
    this.done.clear();
    this.leases.clear();
    this.everClaimed.clear();
    this.chained.clear();
    this.successors.clear();
    this.arrivals.clear();
    this.fired.clear();
    delete this.end;
    this.kept = {};
    this.redrives += 1;
    return this.redrives;
  }

  record(): ItemRecord {
    const record: ItemRecord = { ...this.meta, state: 'in-flight', events: this.events.map(cleanEvent) };
    if (Object.keys(this.kept).length > 0) record.kept = { ...this.kept };
    return record;
  }
}

/** A DAG's live items, least recently active first (then oldest). */
export function byActivity(items: Iterable<LiveItem>, dag: string): LiveItem[] {
  return [...items].filter((item) => item.meta.dag === dag).sort((a, b) => a.activeMs - b.activeMs || a.meta.createdMs - b.meta.createdMs);
}

/** The memory-held ledgers' `stalled`: quiet items' unheld tokens; each returned is active from `at`. */
export function stalledOf(items: Iterable<LiveItem>, dag: string, o: { idleMs: number; limit: number }, at: number): StalledItem[] {
  checkStalled(o);
  const quiet = byActivity(items, dag).filter((item) => item.activeMs <= at - o.idleMs).slice(0, o.limit);
  return quiet.map((item) => {
    item.activeMs = at;
    const ref = { dag: item.meta.dag, messageId: item.meta.messageId };
    return { ref, tokens: item.unheld(at), ...(item.trigger ? { trigger: item.trigger } : {}) };
  });
}
