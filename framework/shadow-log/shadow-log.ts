// The shadow log port: what shadow traffic found, readable by every process of a deployment.
// Per DAG node it counts, per shadow operator, the items compared, those that agreed, those the
// shadow failed, and per output field how often the two answers agreed; and it keeps a bounded
// sample of the latest disagreements (newest first) so a person can see what differed.

/** One item's comparison of a shadow's answer with the primary's. */
export interface ShadowOutcome {
  /** The shadow operator. */
  shadow: string;
  atMs: number;
  itemKey: string;
  messageId: string;
  tenant: string;
  /** Per output field: did the two answers agree? Empty when the shadow did not answer OK. */
  fields: Readonly<Record<string, boolean>>;
  /** The shadow did not answer OK: its status, error code and message. */
  failed?: { status: string; code: string; message: string };
  /** Previews of the fields that differ (text, or a blob's size and digest), for the sample. */
  differences?: readonly FieldDifference[];
}

export interface FieldDifference {
  field: string;
  /** What the primary answered ('' when it had no such field). */
  primary: string;
  shadow: string;
}

/** A disagreement kept in the sample: the item's comparison, as recorded. */
export type ShadowSample = ShadowOutcome;

export interface ShadowTally {
  shadow: string;
  /** Items the shadow answered (in any way). */
  compared: number;
  /** Items whose every field agreed (the shadow answered OK). */
  agreed: number;
  /** Items the shadow answered with something other than OK. */
  failed: number;
  /** Per output field, over the items the shadow answered OK. */
  fields: { field: string; agree: number; disagree: number }[];
}

export interface ShadowReport {
  dag: string;
  node: string;
  /** One tally per shadow operator seen at this node (a node changes its shadow over time). */
  shadows: ShadowTally[];
  /** The latest disagreements, newest first. */
  samples: ShadowSample[];
}

export interface ShadowLog {
  /** Count a batch of one node's comparisons; keep the disagreements in the bounded sample. */
  record(dag: string, node: string, outcomes: readonly ShadowOutcome[]): Promise<void>;
  /** What was recorded for a node; `samples` caps the disagreements returned (default: all kept). */
  report(dag: string, node: string, options?: { samples?: number }): Promise<ShadowReport>;
  /** Forget a node's counts and samples (a new shadow version starts from zero). */
  clear(dag: string, node: string): Promise<void>;
  close(): Promise<void>;
}

/** Disagreements kept per node unless an adapter is told otherwise. */
export const DEFAULT_SAMPLES_KEPT = 100;

/** An outcome is a disagreement when the shadow failed or any field differs. */
export const disagrees = (o: ShadowOutcome): boolean => o.failed !== undefined || Object.values(o.fields).some((same) => !same);
