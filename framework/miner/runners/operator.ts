// An operator node's work on a batch of claimed items: blob inputs loaded, one batch call to
// the operator (the client spreads it over instances, one EchoBatch each), and each answer
// decided. Inputs that dropped an operator call are fingerprinted, so one known to crash
// operators is quarantined at once.
import { createHash } from 'node:crypto';
import { telemetry } from '../../telemetry/index.ts';
import type { EchoBatchFn } from '../../operator-client/index.ts';
import type { EchoRequest, EchoResponse, OperatorDescription } from '../../wire/index.ts';
import { decideAnswer } from '../decide.ts';
import type { Outbox } from '../outbox.ts';
import { blobRefOf } from '../blob-keys.ts';
import type { BatchContext, Work } from '../work.ts';

const enc = new TextEncoder();

function traceparentOf(w: Work): string {
  const sc = w.span.spanContext();
  return sc.traceId && sc.spanId && !/^0+$/.test(sc.traceId) ? `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & 1}` : w.t.traceparent;
}

/** What identifies an input for quarantine: DAG, node, operator version and the input bytes. */
export function fingerprintOf(c: BatchContext, version: string, req: EchoRequest): string {
  const h = createHash('sha256').update(`${c.plan.name}\u0000${c.node.id}\u0000${version}\u0000`);
  for (const group of [req.fields, req.blobs]) {
    for (const name of Object.keys(group).sort()) h.update(name).update('\u0000').update(group[name]!).update('\u0000');
  }
  return h.digest('hex').slice(0, 32);
}

export async function runOperator(c: BatchContext, echo: EchoBatchFn, description: OperatorDescription | undefined, works: readonly Work[], box: Outbox): Promise<void> {
  const { plan, node, blobs, now, ledger } = c;
  const byRef = new Set((description?.inputs ?? []).filter((f) => f.kind === 'blob-ref').map((f) => f.name));
  const ready: { w: Work; req: EchoRequest }[] = [];
  await Promise.all(works.map(async (w) => {
    const req: EchoRequest = { trigger: w.t, operator: node.operator, fields: {}, blobs: {}, deadlineMs: Math.min(now() + node.timeoutMs, w.t.deadlineMs > 0 ? w.t.deadlineMs : Number.MAX_SAFE_INTEGER), traceparent: traceparentOf(w) };
    for (const [f, v] of w.fields!) {
      if (!plan.blobs.includes(f)) req.fields[f] = v;
      else if (byRef.has(f)) req.fields[f] = enc.encode(JSON.stringify(blobRefOf(v)));
      else {
        const bytes = await blobs.get(blobRefOf(v));
        if (bytes === null) {
          box.lostBlob(w, f, blobRefOf(v));
          return;
        }
        req.blobs[f] = bytes;
      }
    }
    ready.push({ w, req });
  }));
  if (ready.length === 0) return;
  const started = now();
  let answers: EchoResponse[];
  try {
    answers = await echo({ operator: node.operator, items: ready.map((r) => r.req) });
  } catch (err) {
    // An interceptor or an in-process operator broke its promise never to throw: every item retries.
    const message = err instanceof Error ? err.message : String(err);
    answers = ready.map(() => ({ status: 'RETRY', errorCode: 'INTERNAL', message, retryAfterMs: 1_000, fields: {}, blobs: {}, children: [] }));
  }
  const took = now() - started;
  const version = description?.version ?? '';
  const dropped = ready.map((r, i) => (answers[i]!.errorCode === 'OPERATOR_DROPPED' || answers[i]!.errorCode === 'OPERATOR_CRASHED' ? fingerprintOf(c, version, r.req) : undefined));
  const asked = dropped.filter((f): f is string => f !== undefined);
  const known = asked.length > 0 ? await ledger.isPoison(asked) : [];
  let k = 0;
  ready.forEach(({ w }, i) => {
    telemetry.opLatency(plan.name, node.id, took);
    w.tookMs = took;
    const fingerprint = dropped[i];
    const knownPoison = fingerprint !== undefined ? known[k++] === true : false;
    box.decide(w, decideAnswer({ plan, node, trigger: w.t, response: answers[i]! , knownPoison }), fingerprint ? { fingerprint } : {});
  });
}
