// A deferred edge's work: each claimed item continues in another DAG through the admission (the
// gate's deferred store), so this DAG never waits on it. Blob fields are handed over: the other
// DAG now owns (and deletes) them, so this item drops them from its tuple without deleting.
import type { NewItem } from '../../admission/index.ts';
import { assignMessageId } from '../ingress.ts';
import { blobRefOf } from '../blob-keys.ts';
import { tryLater } from '../decide.ts';
import type { Outbox } from '../outbox.ts';
import type { BatchContext, Work } from '../work.ts';

const dec = new TextDecoder();

export async function runDefer(c: BatchContext, works: readonly Work[], box: Outbox): Promise<void> {
  const { plan, node, now } = c;
  const spec = node.defer!;
  const items: NewItem[] = works.map((w) => {
    const source: Record<string, string> = {};
    for (const f of spec.fields) {
      const v = w.fields!.get(f);
      if (v === undefined) continue;
      if (plan.blobs.includes(f)) source[f] = blobRefOf(v);
      else {
        const parsed: unknown = JSON.parse(dec.decode(v));
        source[f] = typeof parsed === 'string' ? parsed : JSON.stringify(parsed);
      }
    }
    return assignMessageId({ dag: spec.dag, itemKey: w.t.itemKey, source, priority: spec.priority ?? w.t.priority, tenant: w.t.tenant, resource: node.resource, traceparent: w.t.traceparent, parentId: w.t.messageId }, now(), c.dedupeWindowMs ?? 0);
  });
  const results = await c.admission.submit(items);
  const handed = spec.fields.filter((f) => plan.blobs.includes(f));
  works.forEach((w, i) => {
    const r = results[i]!;
    if (r.status === 'rejected' && r.retryAfterMs !== undefined) box.decide(w, tryLater(w.t, r.retryAfterMs));
    else if (r.status === 'rejected') box.decide(w, { kind: 'end', state: 'dead-lettered', reason: `DEFER_REJECTED: ${r.reason}`, code: 'DEFER_REJECTED', letter: true, poison: false, status: 'FAIL' });
    // Deduplicated against another item: that one owns its own blobs, so this item keeps (and deletes) these.
    const handedOff = r.status === 'accepted' || (r.status === 'duplicate' && r.messageId === items[i]!.messageId);
    box.decide(w, { kind: 'advance', writes: new Map(), blobOutputs: new Map(), children: [], status: 'OK' }, { ...(handedOff ? { detach: handed } : {}), eventStatus: handedOff ? 'handed-off' : 'ok' });
  });
}
