// Runs one DAG node over batches of triggers. Per batch, and never per item in sequence:
//   1. one ledger call claims every trigger (recording join arrivals) and reads the node's
//      declared fields;
//   2. the node's kind does its work on the claimed items — one EchoBatch per operator instance
//      for an operator node (runners/operator.ts), a predicate for a filter, a hand-off through
//      the gate for a deferred edge — and a pure function decides each item's outcome;
//   3. the outbox applies the outcomes (outbox.ts): blobs stored, children admitted, dead
//      letters produced, one ledger call commits every step (outputs, successor tokens, own
//      token, history, released fields, the tuple of an ended item), one produce per topic.
// The bus commits the batch's offsets only after all of it (at-least-once; effects once).
import { context, trace } from '@opentelemetry/api';
import type { ConsumedBatch, ConsumedMessage } from '../bus/trigger-bus.ts';
import type { FieldValues } from '../side-cache/index.ts';
import type { Claim, ClaimOutcome } from '../item-ledger/index.ts';
import type { EchoBatchFn } from '../operator-client/index.ts';
import { telemetry } from '../telemetry/index.ts';
import { decodeTrigger, type OperatorDescription, type Trigger } from '../wire/index.ts';
import { errorMessage } from '../errors/index.ts';
import { decideFilter } from './decide.ts';
import { Outbox } from './outbox.ts';
import { runDefer } from './runners/defer.ts';
import { runOperator } from './runners/operator.ts';
import type { BatchContext, ChainTarget, MinerDeps, Work } from './work.ts';
import { ChainSlots } from './chain-slots.ts';
import type { DagPlan, PlanNode } from '../dag/index.ts';

const tracer = trace.getTracer('quarry-miner');
const dec = new TextDecoder();
const NO_BYTES = new Uint8Array(0);

export interface NodeRunnerOptions extends MinerDeps {
  plan: DagPlan;
  node: PlanNode;
  /** The operator's batch call (in-process, or a routed client); absent for filter/defer nodes. */
  echo?: EchoBatchFn;
  /** The operator's declared fields, to pass blob inputs as bytes or as references. */
  description?: OperatorDescription;
  minerId: string;
  /** Chaining: where successor triggers go in process (see BatchContext). */
  chainTo?: BatchContext['chainTo'];
}

export interface NodeStats {
  /** Items being worked on now. */
  inFlight: number;
  /** Items this node works on at once in this miner (its batch size). */
  capacity: number;
  /** Milliseconds of item work done so far (items × time each), for utilisation. */
  busyMs: number;
  handled: number;
}

export interface NodeRunner extends ChainTarget {
  handleBatch(batch: ConsumedBatch): Promise<void>;
  stats(): NodeStats;
}

function parseJson(v: Uint8Array): unknown {
  try {
    return JSON.parse(dec.decode(v));
  } catch {
    return dec.decode(v);
  }
}

export function createNodeRunner(o: NodeRunnerOptions): NodeRunner {
  const { plan, node, ledger, now } = o;
  const ctx: BatchContext = { ...o, plan, node, minerId: o.minerId };
  const leaseMs = Math.max(10_000, node.timeoutMs * 2);
  const stats: NodeStats = { inFlight: 0, capacity: node.concurrency, busyMs: 0, handled: 0 };
  // Tokens this runner is working on now. A second trigger of one of them (the same trigger twice
  // in a batch, a copy produced again, a redelivery racing the original) arriving meanwhile is
  // skipped: the claim would let the same owner run it again, and the operator would run twice.
  // The running one commits for both; if it fails, its own trigger comes again.
  const running = new Set<string>();

  const claimOf = (w: Work, chained: boolean): Claim => ({
    ref: { dag: w.t.dag, messageId: w.t.messageId },
    token: w.token,
    // Handed on in process, the fields the predecessor held need no read.
    reads: w.fields && w.fields.size > 0 ? node.reads.filter((f) => !w.fields!.has(f)) : node.reads,
    ...(node.join ? { join: { node: node.id, from: w.t.fromNode, expected: node.predecessors } } : {}),
    ...(chained ? { chained: true } : {}),
  });
  // Chaining: hand-offs come from any number of predecessor batches at once, and a batch waits
  // for the chain it started after its own commit. So the node's declared concurrency bounds its
  // own work here — from the claim to the commit, for batches from the bus and chained ones alike
  // — and not the bus's lanes, which the miner widens (a batch's slots are free again once it
  // committed, so no batch holds slots while it waits for another node's).
  const slots = o.chainTo ? new ChainSlots(node.concurrency) : undefined;

  const runner: NodeRunner = {
    node,
    leaseMs,
    stats: () => ({ ...stats }),
    handleBatch: (batch) => handle(batch.topic, batch.messages.map((m) => ({ m })), false),
    async handleChained(items) {
      const first = items[0];
      const at = now();
      if (first) await handle(first.topic, items.map(({ topic, trigger: t, held, claimed }) => ({ m: { topic, partition: -1, offset: '-1', timestampMs: at, key: t.itemKey, value: NO_BYTES }, t, held, ...(claimed ? { claimed } : {}) })), true);
    },
  };
  return runner;

  /** Triggers from the bus (`m` only, decoded here) or handed on in process (decoded, with fields held). */
  async function handle(topic: string, batch: readonly { m: ConsumedMessage; t?: Trigger; held?: FieldValues; claimed?: true }[], chained: boolean): Promise<void> {
    const taken = slots ? await slots.acquire(batch.length, topic === node.highTopic) : 0;
    const started = now();
    let finished = false;
    const box = new Outbox(ctx);
    const works: Work[] = [];
    const mine: string[] = [];
    const claimedAhead = new Set<Work>();
    for (const { m, t: given, held, claimed } of batch) {
      let t: Trigger;
      try {
        t = given ?? decodeTrigger(m.value);
      } catch (err) {
        box.undecodable(m, errorMessage(err));
        continue;
      }
      if (t.notBeforeMs > now()) {
        box.retryLater(t, t.attempt, t.notBeforeMs - now()); // early (a tier released it before time): back it goes
        continue;
      }
      const token = `${node.id}<${t.fromNode}`;
      const key = `${t.messageId}\u0000${token}`;
      if (running.has(key)) {
        telemetry.opStatus(plan.name, node.id, 'DUPLICATE');
        continue;
      }
      running.add(key);
      mine.push(key);
      const parent = trace.setSpanContext(context.active(), spanContextOf(t.traceparent));
      const w: Work = { m, t, token, ...(held && held.size > 0 ? { fields: held } : {}), span: tracer.startSpan(`node ${plan.name}/${node.id}`, { attributes: { 'quarry.dag': plan.name, 'quarry.node': node.id, 'quarry.item_key': t.itemKey, 'quarry.attempt': t.attempt } }, parent) };
      works.push(w);
      if (claimed) claimedAhead.add(w);
    }
    stats.inFlight += works.length;
    telemetry.inFlight(plan.name, node.id, works.length);
    try {
      // Those the predecessor's commit claimed for this miner (with every read held) need no claim.
      const toClaim = claimedAhead.size > 0 ? works.filter((w) => !claimedAhead.has(w)) : works;
      const claims = toClaim.length > 0 ? await ledger.claim(toClaim.map((w) => claimOf(w, chained)), { owner: o.minerId, leaseMs }) : [];
      const runnable: Work[] = [];
      let next = 0;
      works.forEach((w) => {
        const c: ClaimOutcome = claimedAhead.has(w) ? { status: 'run', fields: new Map() } : claims[next++]!;
        if (c.status === 'run') {
          if (c.fields === null) box.lostTuple(w, 'tuple missing from the side-cache');
          else {
            w.fields = w.fields ? new Map([...w.fields, ...c.fields]) : c.fields;
            runnable.push(w);
          }
        } else box.claimed(w, c);
      });
      if (runnable.length > 0) {
        const working = now();
        if (node.kind === 'operator') await runOperator(ctx, o.echo!, o.description, runnable, box);
        else if (node.kind === 'filter') {
          for (const w of runnable) box.decide(w, decideFilter(node, Object.fromEntries([...w.fields!].map(([k, v]) => [k, parseJson(v)]))));
        } else await runDefer(ctx, runnable, box);
        const took = now() - working;
        for (const w of runnable) w.tookMs ??= took;
      }
      // Chained, the node's work on the batch is over once it committed: a second trigger of these
      // tokens finds them done, so the guard ends there, and so do the slots and the in-flight
      // count — not after the chain the batch hands on (where a re-driven item's new trigger must
      // not be skipped, and the node is not busy). Unchained, they end once the batch produced.
      await box.apply(slots ? finish : undefined);
    } finally {
      finish();
      for (const w of works) w.span.end();
    }

    function finish(): void {
      if (finished) return;
      finished = true;
      for (const key of mine) running.delete(key);
      const took = now() - started;
      stats.inFlight -= works.length;
      stats.busyMs += took * works.length;
      stats.handled += works.length;
      telemetry.inFlight(plan.name, node.id, -works.length);
      slots?.release(taken);
    }
  }
}

function spanContextOf(traceparent: string): { traceId: string; spanId: string; traceFlags: number; isRemote: boolean } {
  const [, traceId = '', spanId = '', flags = '01'] = traceparent.split('-');
  return { traceId, spanId, traceFlags: parseInt(flags, 16) || 0, isRemote: true };
}
