// Replaying dead letters: each dead item runs again — from the node that failed, with the tuple
// fields its letter carries, when every one of them can be rebuilt (JSON values always; blob
// references while the blob still exists), else from its entry with its source record. A replay
// has an id that follows from the dead item's, so replaying a letter twice (or two replays racing)
// opens it once; the ledger's record of that id is what says "already replayed". Its origin id
// stays the dead item's, so effectful operators and sinks see the same idempotency key.
import { createHash } from 'node:crypto';
import type { ItemSink, NewItem } from '../admission/index.ts';
import type { BlobStore } from '../blob-store/blob-store.ts';
import type { DagPlan } from '../dag/index.ts';
import type { ItemLedger } from '../item-ledger/index.ts';
import type { DeadLetter } from '../wire/index.ts';
import { fieldsAt } from './resume.ts';

export type ReplayStatus = 'replayed' | 'would-replay' | 'already-replayed' | 'refused' | 'not-replayable';

export interface ReplayLine {
  dag: string;
  itemKey: string;
  /** The dead item's message id, and its replay's. */
  deadId: string;
  replayId: string;
  /** Where the replay starts: the failed node, or the DAG's entry (and why). */
  from: 'node' | 'entry';
  node: string;
  why: string;
  status: ReplayStatus;
  detail?: string;
}

export interface ReplayDeps {
  plans: ReadonlyMap<string, DagPlan>;
  blobs: BlobStore;
  ledger: ItemLedger;
  /** Where replays enter: the gate in a deployment. */
  sink: ItemSink;
}

/** The replay id of a dead item: a UUID that follows from its message id. */
export function replayIdOf(deadId: string): string {
  const h = createHash('sha256').update(`quarry-replay\u0000${deadId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Where a letter's replay can start, and the tuple fields it starts with. */
async function startOf(plan: DagPlan, letter: DeadLetter, blobs: BlobStore): Promise<{ from: 'node' | 'entry'; why: string; fields?: Record<string, string> }> {
  if (letter.node === plan.entry) return { from: 'entry', why: 'it failed at the entry node' };
  const inputs = letter.inputs && Object.keys(letter.inputs).length > 0 ? letter.inputs : undefined;
  if (!inputs) return { from: 'entry', why: 'the letter carries no tuple fields' };
  const known = new Set(fieldsAt(plan, letter.node));
  const foreign = Object.keys(inputs).filter((f) => !known.has(f));
  if (foreign.length > 0) return { from: 'entry', why: `the DAG changed: field(s) ${foreign.join(', ')} no longer reach node ${letter.node}` };
  const dec = new TextDecoder();
  for (const f of Object.keys(inputs).filter((name) => plan.blobs.includes(name))) {
    if ((await blobs.get(dec.decode(inputs[f]!))) === null) return { from: 'entry', why: `its blob \`${f}\` no longer exists` };
  }
  return { from: 'node', why: 'its tuple fields rebuilt from the letter', fields: Object.fromEntries(Object.entries(inputs).map(([f, v]) => [f, Buffer.from(v).toString('base64')])) };
}

export async function replayLetters(letters: readonly DeadLetter[], deps: ReplayDeps, options: { dryRun?: boolean } = {}): Promise<ReplayLine[]> {
  const lines: ReplayLine[] = [];
  const seen = new Set<string>();
  for (const letter of letters) {
    const t = letter.trigger;
    if (!t) {
      lines.push({ dag: '', itemKey: '', deadId: '', replayId: '', from: 'entry', node: letter.node, why: 'the letter holds an undecodable message', status: 'not-replayable' });
      continue;
    }
    const plan = deps.plans.get(t.dag);
    const replayId = replayIdOf(t.messageId);
    const base = { dag: t.dag, itemKey: t.itemKey, deadId: t.messageId, replayId, node: letter.node };
    if (!plan) {
      lines.push({ ...base, from: 'entry', why: `DAG \`${t.dag}\` is not loaded`, status: 'not-replayable' });
      continue;
    }
    if (seen.has(t.messageId)) continue; // the same death lettered twice
    seen.add(t.messageId);
    const start = await startOf(plan, letter, deps.blobs);
    const line: ReplayLine = { ...base, from: start.from, why: start.why, status: 'would-replay' };
    lines.push(line);
    const earlier = await deps.ledger.get({ dag: t.dag, messageId: replayId });
    if (earlier) {
      line.status = 'already-replayed';
      line.detail = earlier.state;
      continue;
    }
    if (options.dryRun) continue;
    const item: NewItem = {
      dag: t.dag, itemKey: t.itemKey, source: t.source, priority: t.priority, tenant: t.tenant, traceparent: t.traceparent,
      parentId: t.messageId, messageId: replayId, originId: t.originId || t.messageId,
      ...(start.fields ? { resume: { node: letter.node, fields: start.fields } } : {}),
    };
    const [r] = await deps.sink.submit([item]);
    if (r?.status === 'rejected') {
      line.status = 'refused';
      line.detail = r.reason + (r.retryAfterMs !== undefined ? ` (retry after ${r.retryAfterMs} ms)` : '');
    } else line.status = r?.status === 'duplicate' ? 'already-replayed' : 'replayed';
  }
  return lines;
}
