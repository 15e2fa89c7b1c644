import { metrics, type Meter } from '@opentelemetry/api';
import { LANES } from './class-scheduler.ts';
import { PRIORITIES } from './gate-item.ts';
import type { Gate } from './gate.ts';

/** The gate's figures as observable OpenTelemetry instruments (read from `stats()`). */
export function registerGateMetrics(gate: Pick<Gate, 'stats'>, meter: Meter = metrics.getMeter('quarry.flow-control')): void {
  const backlog = meter.createObservableGauge('quarry_gate_backlog_items', { description: 'Items waiting in the gate backlog, by class' });
  const deferred = meter.createObservableGauge('quarry_gate_deferred_items', { description: 'Items parked in the deferred store' });
  const age = meter.createObservableGauge('quarry_gate_oldest_age_ms', { description: 'Age of the oldest waiting item, by lane', unit: 'ms' });
  const rate = meter.createObservableGauge('quarry_gate_admitted_per_second', { description: 'Admission rate by lane (EWMA)' });
  const admitted = meter.createObservableCounter('quarry_gate_admitted_total', { description: 'Items admitted, by lane' });
  const rejected = meter.createObservableCounter('quarry_gate_rejected_total', { description: 'Items answered try-later' });
  const window = meter.createObservableGauge('quarry_gate_window_items', { description: 'Adaptive in-flight window' });
  const utilization = meter.createObservableGauge('quarry_gate_utilization', { description: 'Utilisation of the busiest operator node as the gate reads it (0..1; the miners\' in a deployment)' });
  meter.addBatchObservableCallback((r) => {
    const s = gate.stats();
    for (const p of PRIORITIES) r.observe(backlog, s.backlog[p], { class: p });
    r.observe(deferred, s.deferred);
    for (const l of LANES) {
      r.observe(age, s.oldestAgeMs[l], { lane: l });
      r.observe(rate, s.admittedPerSec[l], { lane: l });
      r.observe(admitted, s.admittedTotal[l], { lane: l });
    }
    r.observe(rejected, s.rejectedTotal);
    r.observe(window, s.window);
    r.observe(utilization, s.utilization);
  }, [backlog, deferred, age, rate, admitted, rejected, window, utilization]);
}
