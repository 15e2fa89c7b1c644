// The item ledger port: per-item coordination and the queryable end state of every item. A batch
// is the unit: the miner makes one call to claim a batch of triggers and one to commit what it
// decided, so each costs one round trip whatever the batch size.
//
// Every trigger in flight is a *token* named `${node}<${fromNode}` inside its item. A node's
// commit opens its successors' tokens and closes its own in one atomic step (the trigger
// messages are produced after it: a crash in between is repaired when the bus redelivers the
// node's trigger, because its claim then reports the successors nobody ever claimed). The item
// is terminal when no token is open. Tokens once done are never re-opened, so redeliveries are
// harmless (at-least-once in, effects once). Joins record arrivals atomically; exactly one
// arrival fires the join. A token whose trigger never reached the bus (the producer died, the
// broker lost it) is found by `stalled`: an item with no activity for a while, whose open tokens
// nobody holds, has its triggers produced again from the entry trigger the ledger keeps.
//
// The ledger also owns the lifecycle of the item's tuple in the side-cache it was built with:
// `open` writes the source fields, `claim` reads a node's declared fields, `commit` writes live
// outputs and releases dead fields, and the tuple goes when the item ends — each in the same
// atomic step as the token change it belongs to, so no crash can leave a successor without
// its inputs or a tuple without an item.
import type { FieldValues } from '../side-cache/side-cache.ts';

export type TerminalState = 'completed' | 'filtered' | 'dead-lettered' | 'quarantined';
export type ItemState = 'in-flight' | TerminalState;

export interface ItemRef {
  dag: string;
  messageId: string;
}

export interface ItemEvent {
  node: string;
  /** ok | filtered | retry | failed | dead-lettered | quarantined | redriven | handed-off … */
  status: string;
  atMs: number;
  attempt?: number;
  code?: string;
  detail?: string;
  /** How long the node's work took (ms). */
  tookMs?: number;
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
  /** The item's first message id when it was replayed ('' or absent: messageId). */
  originId?: string;
  createdMs: number;
  endedMs?: number;
  /** Fields the DAG keeps as its result (JSON text), recorded on completion. */
  kept?: Record<string, string>;
  events: ItemEvent[];
}

export interface OpenItem {
  ref: ItemRef;
  itemKey: string;
  /** Entry tokens (one per entry node). */
  tokens: readonly string[];
  createdMs: number;
  traceId?: string;
  parentId?: string;
  priority?: string;
  tenant?: string;
  originId?: string;
  /** Written to the item's tuple as it opens: the source record's fields, encoded. */
  fields: FieldValues;
  /** The item's entry trigger (encoded, opaque to the ledger): `stalled` hands it back. */
  trigger?: Uint8Array;
  /**
   * Skip the item when one with the same key (per DAG and tenant) is in flight, or ended less
   * than `windowMs` ago (a page linked from many pages is crawled once).
   */
  dedupe?: { windowMs: number };
}

export type OpenOutcome =
  | { status: 'opened' }
  /** The message id is live. `reproduce`: no entry token was ever claimed (its trigger may be lost). */
  | { status: 'in-flight'; reproduce: boolean }
  /** The message id already ended (a re-admission): nothing to do. */
  | { status: 'ended'; state: TerminalState }
  /** Another item with this key made this one a duplicate. */
  | { status: 'duplicate'; of: string };

export interface Claim {
  ref: ItemRef;
  token: string;
  /** Fields to read when the claim runs (the node's declared reads). */
  reads: readonly string[];
  /** A join: this arrival is recorded; the claim runs only for the arrival that completes it. */
  join?: { node: string; from: string; expected: readonly string[] };
  /**
   * Handed over in process by the node before it (chained): the token has no trigger of its own,
   * so a redelivery of the token that opened it repairs it, and what it opens, like an unclaimed one.
   */
  chained?: boolean;
}

export type ClaimOutcome =
  /** This owner holds the token's lease. `fields` is null when the item's tuple is gone. */
  | { status: 'run'; fields: FieldValues | null }
  /** A join arrival that does not complete the join: recorded and closed. */
  | { status: 'waiting' }
  /**
   * Done before (a redelivery). `repair`: open tokens whose trigger may be lost — successors it
   * opened that were never claimed or were claimed chained, and the same, transitively, below
   * successors that ran chained.
   */
  | { status: 'done'; repair: readonly string[]; ended?: ItemRecord }
  /** Another owner holds an unexpired lease: try again later. */
  | { status: 'busy' }
  /** The ledger does not know the item (its state was lost): re-drive it from its source. */
  | { status: 'unknown' }
  /** The item is live but never had this token (it was re-driven since): drop the trigger. */
  | { status: 'stale' };

export interface EarlyEnd {
  state: Exclude<TerminalState, 'completed'>;
  node: string;
  reason: string;
}

export interface Step {
  ref: ItemRef;
  token: string;
  /** `advance` closes the token (opening successors); `retry` keeps it open and frees its lease. */
  kind: 'advance' | 'retry';
  writes?: FieldValues;
  successors?: readonly string[];
  /** The item ends here early (filtered, dead-lettered, quarantined). */
  end?: EarlyEnd;
  kept?: Record<string, string>;
  /** Fields no later node reads: deleted from the tuple. */
  releases?: readonly string[];
  /** Blob fields handed to another DAG: dropped from the tuple, their blobs not deleted. */
  detach?: readonly string[];
  /** Which tuple fields hold blob references the item owns (returned for deletion when dropped). */
  blobFields?: readonly string[];
  event?: ItemEvent;
  /**
   * Chaining: successors this commit also claims for `owner`, chained, as a claim of them would
   * (no join, no fields read), because the miner runs them next in process with the fields it
   * holds. Only those this commit opened are claimed, and none if the tuple is gone.
   */
  claimNext?: { owner: string; leaseMs: number; tokens: readonly string[] };
}

export type StepOutcome =
  /** `claimed`: the successors of `claimNext` the commit claimed. */
  | { status: 'ok'; terminal?: ItemRecord; blobRefs: string[]; claimed?: string[] }
  /** The token was already done (a duplicate commit): nothing changed. */
  | { status: 'already' }
  | { status: 'unknown' }
  | { status: 'stale' };

export interface Redrive {
  ref: ItemRef;
  /** The entry tokens to open again. */
  tokens: readonly string[];
  /** The source fields, written to a fresh tuple. */
  fields: FieldValues;
  why: string;
  node: string;
  atMs: number;
}

/** An item in flight that went quiet: its open tokens nobody holds a live lease on. */
export interface StalledItem {
  ref: ItemRef;
  /** The entry trigger the item was opened with (absent if it was opened without one). */
  trigger?: Uint8Array;
  tokens: string[];
}

/** `reset`: the item starts again (for the `count`-th time); `gone`: it is not live (any more). */
export type RedriveOutcome = { status: 'reset'; count: number } | { status: 'gone' };

export interface ItemLedger {
  /** Open new items (writing their source fields to their tuples): one outcome per item. */
  open(items: readonly OpenItem[]): Promise<OpenOutcome[]>;
  /** Claim a batch of tokens for `owner`; join arrivals are recorded, declared fields read. */
  claim(claims: readonly Claim[], lease: { owner: string; leaseMs: number }): Promise<ClaimOutcome[]>;
  /** Apply a batch of steps; each is atomic on its own. */
  commit(steps: readonly Step[]): Promise<StepOutcome[]>;
  /** Start live items again from their source record (their tuple was lost). */
  redrive(items: readonly Redrive[]): Promise<RedriveOutcome[]>;
  /** Remember fingerprints of inputs that crash operators; ask which are known. */
  markPoison(fingerprints: readonly string[], detail: string): Promise<void>;
  isPoison(fingerprints: readonly string[]): Promise<boolean[]>;
  get(ref: ItemRef): Promise<ItemRecord | null>;
  /** The most recent item with this business key in this DAG (and tenant, default `default`). */
  findByKey(dag: string, itemKey: string, tenant?: string): Promise<ItemRecord | null>;
  counts(dag: string): Promise<Record<ItemState, number>>;
  /**
   * Items in flight with no open, commit or re-drive for `idleMs` (least recently active first,
   * at most `limit`), with their open tokens no live lease holds. Each one returned counts as
   * active again from now, so sweepers in several processes see it once per `idleMs`.
   */
  stalled(dag: string, o: { idleMs: number; limit: number }): Promise<StalledItem[]>;
  /** Items still in flight, least recently active first (for SREs and tests). */
  inFlight(dag: string, limit?: number): Promise<ItemRecord[]>;
  close(): Promise<void>;
}
