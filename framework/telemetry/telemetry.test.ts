import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { defineDag } from '../dag/index.ts';
import { defineOperator } from '../operator-sdk/index.ts';
import { startEmbeddedRuntime } from '../runtime/index.ts';
import { observeNodes, startMetrics, startMetricsServer, telemetry } from './index.ts';

describe('metrics', () => {
  it('a Prometheus endpoint started after the framework loaded shows per-node outcomes, latency and item ends', async () => {
    const server = await startMetricsServer({ port: 19_000 + Math.floor(Math.random() * 1000) });
    const op = defineOperator({ name: 'echo', version: '1', inputs: { x: z.string() }, outputs: { y: z.string() }, async handler({ x }) { return { y: x }; } });
    const rt = await startEmbeddedRuntime({ dags: [defineDag({ name: 'metered', source: ['x'], keep: ['y'] }, [{ id: 'echo', operator: 'echo', reads: ['x'], writes: ['y'] }])], operators: [op] });
    try {
      await rt.submit([1, 2, 3].map((i) => ({ dag: 'metered', itemKey: `k${i}`, source: { x: String(i) } })));
      await rt.idle();
      const text = await server.scrape();
      assert.match(text, /quarry_op_status_total\{dag="metered",node="echo",status="OK"[^}]*\} 3/);
      assert.match(text, /quarry_items_ended_total\{dag="metered",state="completed"[^}]*\} 3/);
      assert.match(text, /quarry_op_latency_ms_count\{dag="metered",node="echo"[^}]*\} 3/);
      assert.match(text, /quarry_trigger_bytes_count\{dag="metered",node="echo"[^}]*\} 3/);
    } finally {
      await rt.close();
      await server.close();
    }
  });

  it('counts late completions by priority, and exports per-node load and the bottleneck of observed nodes', async () => {
    const m = startMetrics();
    let lag = 0;
    const stop = observeNodes(async () => {
      lag += 10;
      return [{ dag: 'd', node: 'slow', capacity: 2, lag }, { dag: 'd', node: 'fast', capacity: 4, lag: 0 }];
    }, { intervalMs: 20, windowMs: 1_000 });
    try {
      telemetry.itemEnded('d', 'completed', 'high', 61_000);
      telemetry.itemEnded('d', 'completed', 'high', 1_000);
      telemetry.itemEnded('d', 'completed', 'low', 61_000);
      telemetry.inFlight('d', 'slow', 2);
      await new Promise((r) => setTimeout(r, 200));
      const text = await m.scrape();
      assert.match(text, /quarry_items_late_total\{dag="d",priority="high"[^}]*\} 1\n/);
      assert.match(text, /quarry_items_late_total\{dag="d",priority="low"[^}]*\} 0\n/);
      assert.match(text, /quarry_node_utilization\{dag="d",node="slow"[^}]*\} 1\n/);
      assert.match(text, /quarry_node_capacity\{dag="d",node="fast"[^}]*\} 4\n/);
      assert.match(text, /quarry_node_lag_growth_per_second\{dag="d",node="slow"[^}]*\} [1-9]/);
      assert.match(text, /quarry_bottleneck\{dag="d",node="slow"[^}]*\} 1\n/);
      assert.match(text, /quarry_bottleneck\{dag="d",node="fast"[^}]*\} 0\n/);
    } finally {
      telemetry.inFlight('d', 'slow', -2);
      stop();
      await m.close();
    }
  });
});
