import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { defineDag } from '../dag/index.ts';
import { defineOperator } from '../operator-sdk/index.ts';
import { startEmbeddedRuntime } from '../runtime/index.ts';
import { startMetricsServer } from './index.ts';

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
});
