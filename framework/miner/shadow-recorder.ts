// What a node's shadow traffic found, turned into outcomes: compared field by field with the
// primary's answer (over the fields the node declares), counted as metrics, and recorded in the
// shadow log — one record call per shadow batch, never awaited by the item, never throwing.
import { createHash } from 'node:crypto';
import type { DagPlan, PlanNode } from '../dag/index.ts';
import { errorMessage } from '../errors/index.ts';
import { compareOutputs, type ShadowComparison } from '../operator-client/index.ts';
import type { FieldDifference, ShadowLog, ShadowOutcome } from '../shadow-log/index.ts';
import { telemetry } from '../telemetry/index.ts';
import type { EchoResponse } from '../wire/index.ts';

const PREVIEW_CHARS = 200;
const dec = new TextDecoder();

export interface ShadowRecorder {
  compare(c: ShadowComparison): void;
  skipped(items: number): void;
}

/** A field's value as a person reads it in a report: JSON text, or a blob's size and digest. */
export function preview(res: EchoResponse, field: string): string {
  const blob = res.blobs[field];
  if (blob) return `<${blob.byteLength} bytes, sha256 ${createHash('sha256').update(blob).digest('hex').slice(0, 16)}>`;
  const v = res.fields[field];
  if (!v) return '';
  const text = dec.decode(v);
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text;
}

export function createShadowRecorder(plan: DagPlan, node: PlanNode, log: ShadowLog, now: () => number): ShadowRecorder {
  const shadow = node.shadow!.operator;
  const declared = [...node.writes, ...node.deadWrites];
  let pending: ShadowOutcome[] = [];
  let warnedAt = -Infinity;
  const flush = (): void => {
    const batch = pending;
    pending = [];
    log.record(plan.name, node.id, batch).catch((err: unknown) => {
      if (Date.now() - warnedAt < 60_000) return;
      warnedAt = Date.now();
      process.stderr.write(`quarry miner: could not record ${batch.length} shadow comparison(s) of ${plan.name}/${node.id}: ${errorMessage(err)}\n`);
    });
  };
  return {
    compare({ request, primary, shadow: answer }) {
      const t = request.trigger;
      const base = { shadow, atMs: now(), itemKey: t.itemKey, messageId: t.messageId, tenant: t.tenant };
      let outcome: ShadowOutcome;
      if (answer.status !== 'OK') {
        outcome = { ...base, fields: {}, failed: { status: answer.status, code: answer.errorCode, message: answer.message.slice(0, 300) } };
        telemetry.shadowCompared(plan.name, node.id, shadow, 'failed');
      } else {
        const all = compareOutputs(primary, answer).fields;
        const names = declared.length > 0 ? declared : Object.keys(all);
        const fields = Object.fromEntries(names.map((f) => [f, all[f] ?? true])); // absent from both: the same
        const differences: FieldDifference[] = names.filter((f) => !fields[f]).map((f) => ({ field: f, primary: preview(primary, f), shadow: preview(answer, f) }));
        outcome = { ...base, fields, ...(differences.length > 0 ? { differences } : {}) };
        telemetry.shadowCompared(plan.name, node.id, shadow, differences.length > 0 ? 'disagree' : 'agree', fields);
      }
      // The comparisons of one shadow batch arrive in one tick: they are recorded together.
      if (pending.push(outcome) === 1) queueMicrotask(flush);
    },
    skipped(items) {
      telemetry.shadowCompared(plan.name, node.id, shadow, 'skipped', {}, items);
    },
  };
}
