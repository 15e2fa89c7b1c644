// Deciding what happens to an item from what its node answered: a pure function of the plan,
// the trigger and the answer, so the whole table is tested without a bus, a store or an
// operator (decide.test.ts). The effects outbox applies what is decided.
import type { DagPlan, PlanNode } from '../dag/index.ts';
import type { EchoResponse, Trigger, WireChild } from '../wire/index.ts';

/** The miner's per-node status figures (quarry_op_status). */
export type OpStatus = 'OK' | 'FILTERED' | 'RETRY' | 'TIMEOUT' | 'BACKPRESSURE' | 'FAIL' | 'DLQ' | 'QUARANTINE';

export type Decision =
  /** The node did its work: its outputs are kept, its successors run. */
  | { kind: 'advance'; writes: Map<string, Uint8Array>; blobOutputs: Map<string, Uint8Array>; children: WireChild[]; status: OpStatus }
  /** The item ends here early. `letter`: it goes to the dead-letter (or quarantine) topic. */
  | { kind: 'end'; state: 'filtered' | 'dead-lettered' | 'quarantined'; reason: string; code: string; letter: boolean; poison: boolean; status: OpStatus }
  /** Run the node again after `delayMs`, as attempt `attempt` (unchanged: the item's budget is not spent). */
  | { kind: 'retry'; attempt: number; delayMs: number; code: string; reason: string; status: OpStatus };

/** Answers that say "not now, and not your fault": wait without spending the item's attempts. */
const BACKPRESSURE = new Set(['BACKPRESSURE', 'OPERATOR_UNAVAILABLE']);

export interface AnswerContext {
  plan: DagPlan;
  node: PlanNode;
  trigger: Trigger;
  response: EchoResponse;
  /** The input's fingerprint is known to crash operators (asked only for dropped calls). */
  knownPoison?: boolean;
  /** Epoch ms of the decision: an item past its own deadline (`trigger.deadlineMs`) stops waiting. */
  now?: number;
}

export function backoffMs(node: PlanNode, attempt: number, retryAfterMs: number): number {
  return Math.max(Math.min(node.retry.maxBackoffMs, node.retry.backoffMs * 2 ** attempt), retryAfterMs);
}

/** Operator answer → decision. */
export function decideAnswer({ plan, node, trigger: t, response: res, knownPoison = false, now = 0 }: AnswerContext): Decision {
  if (res.status === 'OK') {
    const writes = new Map<string, Uint8Array>();
    const blobOutputs = new Map<string, Uint8Array>();
    for (const f of node.writes) {
      if (plan.blobs.includes(f)) {
        const bytes = res.blobs[f];
        if (bytes) blobOutputs.set(f, bytes);
      } else {
        const v = res.fields[f];
        if (v) writes.set(f, v);
      }
    }
    return { kind: 'advance', writes, blobOutputs, children: res.children, status: 'OK' };
  }
  const code = res.errorCode || (res.status === 'FILTERED' ? 'FILTERED' : 'ERROR');
  if (res.status === 'FILTERED') return { kind: 'end', state: 'filtered', reason: res.message || 'filtered', code, letter: false, poison: false, status: 'FILTERED' };
  const reason = `${code}: ${res.message}`;
  const quarantine = (why: string): Decision => ({ kind: 'end', state: 'quarantined', reason: why, code, letter: true, poison: true, status: 'QUARANTINE' });
  if (code === 'OPERATOR_CRASHED') return quarantine(reason);
  if (res.status === 'RETRY' && BACKPRESSURE.has(code)) {
    return { kind: 'retry', attempt: t.attempt, delayMs: Math.max(res.retryAfterMs, 500), code, reason, status: 'BACKPRESSURE' };
  }
  // A timeout says the operator was slow or busy — or that the input hangs it: it spends an
  // attempt (an input that always hangs ends dead-lettered, it never waits for ever), is never
  // quarantined for it, and stops at once when the item's own deadline has passed.
  if (res.status === 'RETRY' && code === 'DEADLINE_EXCEEDED') {
    if (t.deadlineMs > 0 && now >= t.deadlineMs) {
      return { kind: 'end', state: 'dead-lettered', reason: `the item's deadline passed (${new Date(t.deadlineMs).toISOString()}): ${reason}`, code: 'ITEM_EXPIRED', letter: true, poison: false, status: 'DLQ' };
    }
    if (t.attempt + 1 < node.retry.maxAttempts) {
      return { kind: 'retry', attempt: t.attempt + 1, delayMs: backoffMs(node, t.attempt, res.retryAfterMs), code, reason, status: 'TIMEOUT' };
    }
    return { kind: 'end', state: 'dead-lettered', reason: `retries exhausted after ${t.attempt + 1} attempt(s): ${reason}`, code, letter: true, poison: false, status: 'DLQ' };
  }
  if (code === 'OPERATOR_DROPPED' && knownPoison) return quarantine(`${reason} (its input crashed operators before)`);
  if (res.status === 'RETRY') {
    if (t.attempt + 1 < node.retry.maxAttempts) {
      return { kind: 'retry', attempt: t.attempt + 1, delayMs: backoffMs(node, t.attempt, res.retryAfterMs), code, reason, status: 'RETRY' };
    }
    const exhausted = `retries exhausted after ${t.attempt + 1} attempt(s): ${reason}`;
    // Calls dropped without another instance to confirm it (OPERATOR_CRASHED) are not proof that
    // the input crashes operators: an ordinary failure, dead-lettered and replayable.
    return { kind: 'end', state: 'dead-lettered', reason: exhausted, code, letter: true, poison: false, status: 'DLQ' };
  }
  return { kind: 'end', state: 'dead-lettered', reason, code, letter: true, poison: false, status: 'FAIL' };
}

/** A filter node's predicate over the fields it reads → decision. */
export function decideFilter(node: PlanNode, fields: Readonly<Record<string, unknown>>): Decision {
  if (node.filter!.keep(fields)) return { kind: 'advance', writes: new Map(), blobOutputs: new Map(), children: [], status: 'OK' };
  return { kind: 'end', state: 'filtered', reason: node.filter!.reason, code: 'FILTERED', letter: false, poison: false, status: 'FILTERED' };
}

/** The gate refused children or a deferred hand-off for now: run the node again later. */
export function tryLater(t: Trigger, retryAfterMs: number): Decision {
  return { kind: 'retry', attempt: t.attempt, delayMs: retryAfterMs, code: 'GATE_FULL', reason: `the gate said try later (${retryAfterMs} ms)`, status: 'BACKPRESSURE' };
}
