import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { createFakeClock } from './fake-clock.ts';
import { createGate } from './gate.ts';
import { createGatePolicy } from './gate-policy.ts';
import { createMemoryBacklog } from './internal/memory-backlog.ts';
import { createMemoryDeferredStore } from './internal/memory-deferred-store.ts';

class Reader extends MetricReader { protected async onShutdown() {} protected async onForceFlush() {} }

test('the gate figures are exported as OpenTelemetry metrics', async () => {
  const reader = new Reader();
  const provider = new MeterProvider({ readers: [reader] });
  const clock = createFakeClock(Date.UTC(2026, 0, 5, 12));
  const gate = createGate({
    backlog: createMemoryBacklog(), deferred: createMemoryDeferredStore(), meter: provider.getMeter('test'),
    policy: createGatePolicy({ admission: { initialLimit: 3, maxLimit: 3 } }),
    admit: async () => {}, signals: async () => ({ lagByNode: {}, inFlight: 0, capacity: 1, resourceExhausted: 0, timeouts: 0, utilization: 1 }),
    now: clock.now, schedule: clock.schedule,
  });
  const item = (i: number, priority: 'high' | 'low', resource: 'cpu' | 'gpu' = 'cpu') => ({ id: `x${i}`, dag: 'd', itemKey: `k${i}`, priority, tenant: 't', resource, source: {} });
  await gate.submit([item(1, 'high'), item(2, 'high'), item(3, 'low'), item(4, 'low'), item(5, 'low'), item(6, 'low', 'gpu')]);
  await gate.tick();
  const { resourceMetrics } = await reader.collect();
  const points = new Map<string, number>();
  for (const sm of resourceMetrics.scopeMetrics) for (const m of sm.metrics) for (const dp of m.dataPoints) {
    points.set(`${m.descriptor.name}${JSON.stringify(dp.attributes)}`, dp.value as number);
  }
  assert.equal(points.get('quarry_gate_admitted_total{"lane":"high"}'), 2);
  assert.equal(points.get('quarry_gate_admitted_total{"lane":"low"}'), 1);
  assert.equal(points.get('quarry_gate_backlog_items{"class":"low"}'), 2);
  assert.equal(points.get('quarry_gate_deferred_items{}'), 1);
  assert.equal(points.get('quarry_gate_window_items{}'), 3);
  assert.equal(points.get('quarry_gate_utilization{}'), 1, 'the utilisation the gate read');
  assert.ok(points.has('quarry_gate_oldest_age_ms{"lane":"low"}'));
  await provider.shutdown();
});
