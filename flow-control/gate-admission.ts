// The gate as the framework's admission port: the runtime starts it with its ingress and its
// signals; every new item (sources, fan-out children, deferred edges) is submitted to it and
// waits in the durable backlogs (or, gpu work of a deferred class, in the deferred store) until
// admitted. The item's message id is given where it was created and kept through the gate, so
// an item the backlog hands out twice (a gate restart, a broker restart, a rebalance) opens
// once: the ledger knows the id.
//
// A process that only puts items in (`quarry submit`, a miner emitting children while a
// `quarry gate run` process admits) uses the same admission without starting it: submit runs
// the same intake bound (on counts every process shares, in a deployment) and the same deferral
// rule, then writes to the shared stores.
import { randomUUID } from 'node:crypto';
import { NO_SIGNALS, type Admission, type AdmissionTarget, type NewItem, type SubmitResult } from '../framework/admission/index.ts';
import { createGate, type Gate, type GateOptions } from './gate.ts';
import type { GateItem } from './gate-item.ts';
import { PRIORITIES } from './gate-item.ts';

export interface GateAdmission extends Admission {
  readonly gate: Gate;
}

export interface GateAdmissionOptions extends Omit<GateOptions, 'admit' | 'signals'> {
  /** Told of items the ingress refused for good (a bad source record): they are logged, not retried. */
  onRefused?(itemKey: string, reason: string): void;
}

export function toGateItem(i: NewItem): Omit<GateItem, 'enqueuedMs'> & { enqueuedMs?: number } {
  return {
    id: i.messageId ?? randomUUID(), dag: i.dag, itemKey: i.itemKey, priority: i.priority ?? 'normal', tenant: i.tenant ?? 'default',
    resource: i.resource ?? 'cpu', source: i.source,
    ...(i.traceparent ? { traceparent: i.traceparent } : {}), ...(i.parentId ? { parentId: i.parentId } : {}),
    ...(i.originId ? { originId: i.originId } : {}), ...(i.deadlineMs ? { deadlineMs: i.deadlineMs } : {}),
    ...(i.enqueuedMs !== undefined ? { enqueuedMs: i.enqueuedMs } : {}), ...(i.resume ? { resume: i.resume } : {}),
  };
}

export function toNewItem(g: GateItem): NewItem {
  return {
    dag: g.dag, itemKey: g.itemKey, source: g.source, priority: g.priority, tenant: g.tenant, resource: g.resource,
    messageId: g.id, enqueuedMs: g.enqueuedMs,
    ...(g.traceparent ? { traceparent: g.traceparent } : {}), ...(g.parentId ? { parentId: g.parentId } : {}),
    ...(g.originId ? { originId: g.originId } : {}), ...(g.deadlineMs ? { deadlineMs: g.deadlineMs } : {}),
    ...(g.resume ? { resume: g.resume } : {}),
  };
}

export function createGateAdmission(options: GateAdmissionOptions): GateAdmission {
  let target: AdmissionTarget | undefined;
  const gate = createGate({
    ...options,
    async admit(items) {
      if (!target) throw new Error('the gate admitted items before the runtime started it');
      const results = await target.ingress.submit(items.map(toNewItem));
      for (const r of results) if (r.status === 'rejected') options.onRefused?.(r.itemKey, r.reason);
    },
    signals: () => (target ? target.signals() : Promise.resolve(NO_SIGNALS)),
  });
  return {
    gate,
    async start(t) {
      target = t;
      await gate.start();
    },
    async submit(items): Promise<SubmitResult[]> {
      const gateItems = items.map(toGateItem);
      const res = await gate.submit(gateItems);
      if ('rejected' in res) return items.map((i) => ({ itemKey: i.itemKey, status: 'rejected' as const, reason: `try later: ${res.reason}`, retryAfterMs: res.retryAfterMs }));
      return items.map((i, k) => ({ itemKey: i.itemKey, messageId: gateItems[k]!.id, status: 'accepted' as const }));
    },
    async pending() {
      const sizes = await Promise.all(PRIORITIES.flatMap((p) => [options.backlog.size(p), options.deferred.size(p)]));
      return sizes.reduce((a, b) => a + b, 0);
    },
    async stop() {
      await gate.stop();
    },
  };
}
