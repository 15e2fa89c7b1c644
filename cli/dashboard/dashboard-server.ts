// The SRE dashboard: a small HTTP server with the page, its state as JSON, and item traces. When
// it runs inside the process that does the work (`quarry crawl --dashboard`), it also serves that
// process's metrics at /metrics.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ItemLedger, ItemRecord } from '../../framework/item-ledger/index.ts';
import type { Metrics } from '../../framework/telemetry/index.ts';
import { formatTrace } from '../commands/trace.ts';
import { createStateCollector, urlSource, type MetricsSource } from './dashboard-state.ts';
import { DASHBOARD_HTML } from './page.ts';

export interface DashboardOptions {
  ledger: ItemLedger;
  dags: readonly string[];
  /** Prometheus endpoints of miners and gates. */
  metricsUrls?: readonly string[];
  /** This process's own metrics (an embedded run): shown, and served at /metrics. */
  metrics?: Metrics;
  host?: string;
  port: number;
}

export interface Dashboard {
  url: string;
  close(): Promise<void>;
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const sources: MetricsSource[] = (o.metricsUrls ?? []).map(urlSource);
  if (o.metrics) sources.push({ name: 'this process', scrape: () => o.metrics!.scrape() });
  const collector = createStateCollector({ ledger: o.ledger, dags: o.dags, sources });
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const reply = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    (async () => {
      if (url.pathname === '/') return reply(200, 'text/html; charset=utf-8', DASHBOARD_HTML);
      if (url.pathname === '/api/state') return reply(200, 'application/json', JSON.stringify(await collector.collect()));
      if (url.pathname === '/metrics' && o.metrics) return o.metrics.handle(req, res);
      if (url.pathname === '/api/trace') {
        const key = url.searchParams.get('key') ?? '';
        if (!key) return reply(400, 'text/plain; charset=utf-8', 'name an item key');
        const found = (await Promise.all(o.dags.map((d) => o.ledger.findByKey(d, key)))).filter((r): r is ItemRecord => r !== null);
        return found.length > 0 ? reply(200, 'text/plain; charset=utf-8', found.map(formatTrace).join('\n\n')) : reply(404, 'text/plain; charset=utf-8', `no item with key ${key} (it never entered, or its record expired)`);
      }
      return reply(404, 'text/plain; charset=utf-8', 'not found');
    })().catch((err: unknown) => reply(500, 'text/plain; charset=utf-8', String(err)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '127.0.0.1', resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
