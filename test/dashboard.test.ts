// The SRE dashboard against a real run: ledger in Redis, metrics from the Prometheus endpoint.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { histogramQuantile, parsePrometheusText, startDashboard, type DashboardState } from '../cli/dashboard/index.ts';
import { createRedisItemLedger, defineDag, defineOperator, FilteredError, startRuntime, startMetricsServer, createRedisSideCache } from '../framework/index.ts';

describe('dashboard', () => {
  it('estimates quantiles from cumulative buckets and parses labelled samples', () => {
    const b = [{ le: 10, count: 50 }, { le: 100, count: 90 }, { le: 1000, count: 100 }, { le: Infinity, count: 100 }];
    assert.equal(histogramQuantile(0.5, b), 10);
    assert.equal(histogramQuantile(0.7, b), 55);
    assert.equal(histogramQuantile(0.99, b), 910);
    assert.equal(histogramQuantile(0.5, []), undefined);
    assert.deepEqual(parsePrometheusText('# HELP x y\nquarry_x_total{dag="a",node="b\\"c"} 3\n'), [{ name: 'quarry_x_total', labels: { dag: 'a', node: 'b"c' }, value: 3 }]);
  });

  it('shows items per DAG, outcomes and latency per node, and traces an item by key', async () => {
    const metrics = await startMetricsServer({ port: 20_000 + Math.floor(Math.random() * 1000) });
    const redis = process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
    const namespace = `dash-${Date.now()}`;
    const ledger = createRedisItemLedger({ redis, namespace });
    const sideCache = createRedisSideCache({ redis, namespace });
    const dag = `dash-${Math.random().toString(36).slice(2, 8)}`;
    const op = defineOperator({
      name: 'pick', version: '1', inputs: { x: z.string() }, outputs: { y: z.string() },
      async handler({ x }) {
        if (x === 'no') throw new FilteredError('not-this-one');
        return { y: x };
      },
    });
    const rt = await startRuntime({ dags: [defineDag({ name: dag, source: ['x'] }, [{ id: 'pick', operator: 'pick', reads: ['x'], writes: ['y'] }])], operators: [op], ledger, sideCache });
    const d = await startDashboard({ ledger, dags: [dag], metricsUrls: [metrics.url, 'http://127.0.0.1:1/metrics'], port: 0 });
    try {
      await rt.submit(['a', 'b', 'c', 'no'].map((x) => ({ dag, itemKey: `k-${x}`, source: { x } })));
      await rt.idle();
      const page = await (await fetch(d.url)).text();
      assert.match(page, /<title>Quarry — operations<\/title>/);
      const state = (await (await fetch(`${d.url}api/state`)).json()) as DashboardState;
      assert.deepEqual([state.dags[0]?.counts.completed, state.dags[0]?.counts.filtered, state.dags[0]?.counts['in-flight']], [3, 1, 0]);
      const row = state.nodes.find((n) => n.dag === dag && n.node === 'pick');
      assert.deepEqual([row?.statuses.OK, row?.statuses.FILTERED, row?.calls], [3, 1, 4]);
      assert.ok(row?.p50Ms !== undefined && row.p99Ms! >= row.p50Ms, JSON.stringify(row));
      assert.equal(state.scrapeErrors.length, 1, 'an unreachable endpoint is reported, not fatal');
      const trace = await (await fetch(`${d.url}api/trace?key=k-no`)).text();
      assert.match(trace, /state\s+filtered — not-this-one \(at pick\)/);
      assert.equal((await fetch(`${d.url}api/trace?key=never-seen`)).status, 404);
    } finally {
      await d.close();
      await rt.close();
      await ledger.close();
      await sideCache.close();
      await metrics.close();
    }
  });
});
