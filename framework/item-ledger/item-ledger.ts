// The item ledger port: per-item coordination and the queryable end state of every item.
//
// Every trigger in flight is a *token* named `${node}<${fromNode}` inside its item. A node that
// finishes a token first adds its successors' tokens (before producing them), then finishes its
// own; the item is terminal when no token is open. Tokens once done are never re-opened, so a
// redelivered trigger and a re-run of `addTokens` are both harmless (at-least-once in, effects
// once). Joins record arrivals atomically, and exactly one arrival fires the join.

export type TerminalState = 'completed' | 'filtered' | 'dead-lettered' | 'quarantined';
export type ItemState = 'in-flight' | TerminalState;

export interface ItemRef {
  dag: string;
  messageId: string;
}

export interface ItemEvent {
  node: string;
  /** ok | filtered | retry | failed | dead-lettered | quarantined | duplicate | redriven | … */
  status: string;
  atMs: number;
  attempt?: number;
  code?: string;
  detail?: string;
}

export interface ItemRecord {
  dag: string;
  messageId: string;
  itemKey: string;
  state: ItemState;
  /** Why the item ended where it did (filter reason, error code and message). */
  reason?: string;
  /** The node the item ended at, when it ended early. */
  node?: string;
  traceId?: string;
  parentId?: string;
  priority?: string;
  tenant?: string;
  createdMs: number;
  endedMs?: number;
  /** Fields the DAG keeps as its result (JSON text), recorded on completion. */
  kept?: Record<string, string>;
  events: ItemEvent[];
}

export interface OpenItem {
  ref: ItemRef;
  itemKey: string;
  tokens: readonly string[];
  createdMs: number;
  traceId?: string;
  parentId?: string;
  priority?: string;
  tenant?: string;
}

export type ClaimResult = 'run' | 'done' | 'busy';

export interface EarlyEnd {
  state: Exclude<TerminalState, 'completed'>;
  node: string;
  reason: string;
}

export interface FinishResult {
  /** True when this finish closed the item's last open token. */
  terminal: boolean;
  record?: ItemRecord;
}

export interface ItemLedger {
  /** Register a new item with its first tokens. False when the message id is already known. */
  open(item: OpenItem): Promise<boolean>;
  /**
   * Take a token for processing. `done`: finished before (a redelivery: skip it). `busy`: another
   * worker holds an unexpired lease on it (try again later). `run`: this owner holds the lease.
   */
  claim(ref: ItemRef, token: string, owner: string, leaseMs: number): Promise<ClaimResult>;
  /**
   * Record that predecessor `from` reached join `node`. True only for the one arrival that
   * completes the join (and again for a redelivery of that same arrival).
   */
  arrive(ref: ItemRef, node: string, from: string, expected: readonly string[]): Promise<boolean>;
  /** Open successor tokens; tokens already done are skipped. Call before producing them. */
  addTokens(ref: ItemRef, tokens: readonly string[]): Promise<void>;
  /** Close a token (idempotent). `end` marks the item as ending early (filter, DLQ, quarantine). */
  finish(ref: ItemRef, token: string, options?: { end?: EarlyEnd; kept?: Record<string, string> }): Promise<FinishResult>;
  /** Append to the item's history (bounded). */
  event(ref: ItemRef, event: ItemEvent): Promise<void>;
  /** Count failures of a message at a node across deliveries (for quarantine). */
  bumpCrashes(ref: ItemRef, node: string): Promise<number>;
  get(ref: ItemRef): Promise<ItemRecord | null>;
  /** The most recent item with this business key in this DAG. */
  findByKey(dag: string, itemKey: string): Promise<ItemRecord | null>;
  counts(dag: string): Promise<Record<ItemState, number>>;
  /** Items still in flight (for SREs and tests). */
  inFlight(dag: string, limit?: number): Promise<ItemRecord[]>;
  close(): Promise<void>;
}
