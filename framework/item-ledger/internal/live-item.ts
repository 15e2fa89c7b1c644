// An item in flight, as the memory ledger holds it: its tokens, leases, join arrivals, early end,
// kept fields and history. The rules live in the ledger; this is the state and its small moves.
import type { EarlyEnd, ItemEvent, ItemRecord } from '../item-ledger.ts';
import { MAX_EVENTS, cleanEvent } from './ledger-input.ts';
import type { ItemMeta } from './item-record.ts';

export class LiveItem {
  open: Set<string>;
  done = new Set<string>();
  leases = new Map<string, { owner: string; expiresMs: number }>();
  /** Tokens some owner claimed at least once (an unclaimed open token's trigger may be lost). */
  everClaimed = new Set<string>();
  /** The successor tokens each token opened. */
  successors = new Map<string, string[]>();
  arrivals = new Map<string, Set<string>>();
  fired = new Map<string, string>();
  end?: EarlyEnd;
  kept: Record<string, string> = {};
  events: ItemEvent[] = [];
  redrives = 0;

  constructor(readonly meta: ItemMeta, tokens: readonly string[]) {
    this.open = new Set(tokens);
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
