// Runs one DAG node over batches of triggers: claim, load declared fields (one pipelined read
// per batch), call the operator, write live outputs, then — in this order — open successor
// tokens, produce successors/retries/dead letters in batches, finish tokens, release dead
// fields. The bus commits the batch only after all of it (at-least-once; effects once).
import { createHash } from 'node:crypto';
import PQueue from 'p-queue';
import { errorCode, errorMessage, isRetryable } from '../errors/index.ts';
import type { ConsumedBatch, ConsumedMessage } from '../bus/trigger-bus.ts';
import type { DagPlan, PlanNode } from '../dag/index.ts';
import type { EchoFn } from '../operator-client/index.ts';
import { telemetry } from '../telemetry/index.ts';
import { decodeTrigger, type EchoResponse, type OperatorDescription, type Trigger } from '../wire/index.ts';
import { Effects, HANDED_OFF, type MinerDeps } from './effects.ts';

const dec = new TextDecoder();
const enc = new TextEncoder();

export interface NodeRunnerOptions extends MinerDeps {
  plan: DagPlan;
  node: PlanNode;
  /** The operator's echo (already load-balanced and routed); absent for filter/defer nodes. */
  echo?: EchoFn;
  /** The operator's declared fields, to pass blob inputs as bytes or as references. */
  description?: OperatorDescription;
  minerId: string;
  /** Failures of one message at one node that look like operator crashes before quarantine. */
  quarantineAfter?: number;
}

export interface NodeRunner {
  handleBatch(batch: ConsumedBatch): Promise<void>;
  readonly queue: PQueue;
}

export function createNodeRunner(o: NodeRunnerOptions): NodeRunner {
  const { plan, node, ledger, sideCache, blobs, now } = o;
  const queue = new PQueue({ concurrency: node.concurrency });
  const blobRefInputs = new Set((o.description?.inputs ?? []).filter((f) => f.kind === 'blob-ref').map((f) => f.name));
  const leaseMs = Math.max(10_000, node.timeoutMs * 2);

  async function processOne(m: ConsumedMessage, t: Trigger, loaded: Map<string, Uint8Array> | null, fx: Effects): Promise<void> {
    const ref = { dag: t.dag, messageId: t.messageId };
    const token = `${node.id}<${t.fromNode}`;
    let claim;
    try {
      claim = await ledger.claim(ref, token, o.minerId, leaseMs);
    } catch (err) {
      // The ledger forgot the item (its Redis restarted): start it again from its source record.
      if (errorCode(err) !== 'ITEM_UNKNOWN') throw err;
      await fx.redrive(t, token, 'item state lost from the ledger', false);
      return;
    }
    if (claim === 'done') {
      telemetry.opStatus(plan.name, node.id, 'DUPLICATE');
      await fx.sweepEnded(t);
      return;
    }
    if (claim === 'busy') {
      fx.retry(t, t.attempt, 1_000);
      return;
    }
    if (node.join && !(await ledger.arrive(ref, node.id, t.fromNode, node.predecessors))) {
      fx.finish(t, token);
      return;
    }
    if (loaded === null) {
      if (redrives(t) >= MAX_REDRIVES) fx.deadLetter(t, token, m, `STATE_LOST: tuple missing again after ${MAX_REDRIVES} re-drives`, false);
      else await fx.redrive(t, token, 'tuple missing from the side-cache');
      return;
    }
    const values = new Map<string, Uint8Array>();
    for (const [k, v] of loaded) values.set(k, v);

    if (node.kind === 'filter') {
      const fields = Object.fromEntries([...values].map(([k, v]) => [k, parseJson(v)]));
      if (node.filter!.keep(fields)) fx.succeed(t, token, node);
      else fx.end(t, token, 'filtered', node.filter!.reason);
      return;
    }
    if (node.kind === 'defer') {
      const source: Record<string, string> = {};
      for (const f of node.defer!.fields) {
        const v = values.get(f);
        if (v === undefined) continue;
        const parsed = plan.blobs.includes(f) ? dec.decode(v) : parseJson(v);
        source[f] = typeof parsed === 'string' ? parsed : JSON.stringify(parsed);
      }
      const wait = await fx.defer(t, node, source);
      if (wait > 0) {
        fx.retry(t, t.attempt, wait);
        return;
      }
      // The blobs now belong to the other DAG: this item must not delete them when it ends.
      await ledger.event(ref, { node: node.id, status: HANDED_OFF, atMs: now(), detail: `to ${node.defer!.dag}` });
      fx.succeed(t, token, node);
      return;
    }

    // An operator node: blob inputs travel as bytes unless the operator asks for the reference.
    const request = { trigger: t, operator: node.operator, fields: {} as Record<string, Uint8Array>, blobs: {} as Record<string, Uint8Array> };
    for (const [f, v] of values) {
      if (!plan.blobs.includes(f)) request.fields[f] = v;
      else if (blobRefInputs.has(f)) request.fields[f] = enc.encode(JSON.stringify(dec.decode(v)));
      else {
        const bytes = await blobs.get(dec.decode(v));
        if (bytes === null) {
          // A blob named by the source record cannot come back by re-driving: say it is lost.
          if (plan.source.includes(f) || redrives(t) >= MAX_REDRIVES) fx.deadLetter(t, token, m, `BLOB_LOST: blob \`${f}\` (${dec.decode(v)}) is missing from the blob store`, false);
          else await fx.redrive(t, token, `blob \`${f}\` missing from the blob store`);
          return;
        }
        request.blobs[f] = bytes;
      }
    }
    const started = now();
    const deadline = Math.min(started + node.timeoutMs, t.deadlineMs > 0 ? t.deadlineMs : Number.MAX_SAFE_INTEGER);
    let res: EchoResponse;
    telemetry.inFlight(plan.name, node.id, 1);
    try {
      res = await o.echo!({ request, deadline });
    } catch (err) {
      res = { status: isRetryable(err) ? 'RETRY' : 'FAILED', errorCode: errorCode(err), message: errorMessage(err), retryAfterMs: (err as { retryAfterMs?: number }).retryAfterMs ?? 0, fields: {}, blobs: {}, children: [] };
    } finally {
      telemetry.inFlight(plan.name, node.id, -1);
    }
    telemetry.opLatency(plan.name, node.id, now() - started);
    await ledger.event(ref, { node: node.id, status: res.status.toLowerCase(), atMs: now(), attempt: t.attempt, ...(res.errorCode ? { code: res.errorCode } : {}), ...(res.message ? { detail: res.message.slice(0, 300) } : {}) });

    if (res.status === 'OK') {
      telemetry.opStatus(plan.name, node.id, 'OK');
      const writes = new Map<string, Uint8Array>();
      for (const f of node.writes) {
        if (plan.blobs.includes(f)) {
          const bytes = res.blobs[f];
          if (bytes) writes.set(f, enc.encode(await blobs.put(blobKey(plan, t, f, bytes), bytes)));
        } else {
          const v = res.fields[f];
          if (v) writes.set(f, v);
        }
      }
      if (writes.size > 0) await sideCache.write(t.tupleRef, writes);
      const wait = res.children.length > 0 ? await fx.children(t, res.children) : 0;
      if (wait > 0) {
        // The gate is full: run this node again later (its children are deduplicated then).
        fx.retry(t, t.attempt, wait);
        return;
      }
      fx.succeed(t, token, node, keptValues(plan, writes));
      return;
    }
    if (res.status === 'FILTERED') {
      telemetry.opStatus(plan.name, node.id, 'FILTERED');
      fx.end(t, token, 'filtered', res.message || 'filtered');
      return;
    }
    const reason = `${res.errorCode || 'ERROR'}: ${res.message}`;
    if (res.errorCode === 'BACKPRESSURE') {
      // Backpressure is not the item's fault: wait without spending its attempt budget.
      telemetry.opStatus(plan.name, node.id, 'RETRY');
      fx.retry(t, t.attempt, Math.max(res.retryAfterMs, 500));
      return;
    }
    if (res.errorCode === 'OPERATOR_UNAVAILABLE' && (await ledger.bumpCrashes(ref, node.id)) >= (o.quarantineAfter ?? 3)) {
      telemetry.opStatus(plan.name, node.id, 'QUARANTINE');
      fx.deadLetter(t, token, m, reason, true);
      return;
    }
    if (res.status === 'RETRY' && t.attempt + 1 < node.retry.maxAttempts) {
      telemetry.opStatus(plan.name, node.id, res.errorCode === 'DEADLINE_EXCEEDED' ? 'TIMEOUT' : 'RETRY');
      const backoff = Math.min(node.retry.maxBackoffMs, node.retry.backoffMs * 2 ** t.attempt);
      fx.retry(t, t.attempt + 1, Math.max(backoff, res.retryAfterMs));
      return;
    }
    telemetry.opStatus(plan.name, node.id, res.status === 'RETRY' ? 'DLQ' : 'FAIL');
    fx.deadLetter(t, token, m, res.status === 'RETRY' ? `retries exhausted after ${t.attempt + 1} attempt(s): ${reason}` : reason, false);
  }

  return {
    queue,
    async handleBatch(batch) {
      const fx = new Effects({ ...o, plan, node });
      const decoded: { m: ConsumedMessage; t: Trigger }[] = [];
      const seen = new Set<string>();
      for (const m of batch.messages) {
        let t: Trigger;
        try {
          t = decodeTrigger(m.value);
        } catch (err) {
          fx.undecodable(m, errorMessage(err));
          continue;
        }
        if (t.notBeforeMs > now()) {
          // Early: a retry tier released it before time (or clocks disagree). Send it back.
          fx.retry(t, t.attempt, t.notBeforeMs - now());
          continue;
        }
        const key = `${t.messageId}\u0000${t.fromNode}`;
        if (seen.has(key)) continue; // the same trigger twice in one batch: once is enough
        seen.add(key);
        decoded.push({ m, t });
      }
      const loads = await sideCache.readMany(decoded.map(({ t }) => ({ tupleRef: t.tupleRef, fields: node.reads })));
      await Promise.all(
        decoded.map(({ m, t }, i) =>
          queue.add(async () => {
            try {
              await processOne(m, t, loads[i] ?? null, fx);
            } catch (err) {
              // Transient trouble (a store is down): fail the batch so it is delivered again.
              // Anything else is this item's problem alone: dead-letter it, spare its batch-mates.
              if (isRetryable(err)) throw err;
              fx.poison(m, t, `${errorCode(err)}: ${errorMessage(err)}`);
            }
          }),
        ),
      );
      await fx.commit();
    },
  };
}

/**
 * Where a blob output is stored. A blob the item owns is keyed by the item, so it can be deleted
 * with it. A kept blob outlives the item and is never deleted by the DAG: it is keyed by its
 * content, so items racing on the same content (two links, one image) share one blob.
 */
function blobKey(plan: DagPlan, t: Trigger, field: string, bytes: Uint8Array): string {
  if (!plan.keep.includes(field)) return `${t.tupleRef}/${field}`;
  return `${plan.name}/${field}/${createHash('sha256').update(bytes).digest('hex')}`;
}

const MAX_REDRIVES = 3;
const redrives = (t: Trigger): number => t.messageId.split('.r').length - 1;

function parseJson(v: Uint8Array): unknown {
  try {
    return JSON.parse(dec.decode(v));
  } catch {
    return dec.decode(v);
  }
}

function keptValues(plan: DagPlan, writes: Map<string, Uint8Array>): Record<string, string> | undefined {
  const kept = plan.keep.filter((f) => writes.has(f));
  if (kept.length === 0) return undefined;
  return Object.fromEntries(kept.map((f) => [f, dec.decode(writes.get(f)!)]));
}

