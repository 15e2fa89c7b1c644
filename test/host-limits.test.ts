// `quarry operator --host-limits <redis>`: two spider processes given the same Redis share one
// host's limits. With `--host-concurrency 1`, pages asked of both at once reach the host one at
// a time (per process, each would open its own).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { createContractClient, type WireItem } from '../framework/operator-conformance/index.ts';
import { ProcessGroup } from './fixtures/processes.ts';

const REDIS = process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
const TRICKLE_MS = 300;

describe('quarry operator --host-limits: spider processes share per-host limits through Redis', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-host-limits-'));
  const procs = new ProcessGroup(join(dir, 'logs'));
  let server: http.Server;
  let site = '';
  let open = 0;
  let maxOpen = 0;
  let pages = 0;

  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/robots.txt') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nAllow: /\n');
      open++;
      pages++;
      maxOpen = Math.max(maxOpen, open);
      res.on('close', () => open--);
      res.writeHead(200, { 'content-type': 'text/html' });
      setTimeout(() => res.end('<html><head><title>t</title></head><body>page</body></html>'), TRICKLE_MS);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    site = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await procs.killAll();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function spider(n: number): Promise<string> {
    const args = ['operator', 'page-spider', '--port', '0', '--allow-private', '127.0.0.0/8', '--host-concurrency', '1', '--host-delay', '0',
      '--host-limits', REDIS, '--data', join(dir, `p${n}`), '--relations', `embedded:${join(dir, `p${n}`, 'relations')}`, '--index', `embedded:${join(dir, `p${n}`, 'index')}`];
    const p = await procs.start(`spider-${n}`, ['--import', 'tsx', 'cli/main.ts', ...args], {});
    return p.ready['listening'] as string;
  }

  it('pages asked of two processes at once reach the host one at a time', async () => {
    const addresses = await Promise.all([spider(1), spider(2)]);
    const run = randomUUID();
    const item = (i: number): WireItem => ({
      trigger: { messageId: `${run}-${i}`, itemKey: `${site}/p${i}`, dag: 'page-ingest', node: 'fetch', tupleRef: `t-${run}-${i}` },
      fields: { url: new TextEncoder().encode(JSON.stringify(`${site}/p${i}`)) },
      blobs: {},
    });
    const clients = addresses.map((a) => createContractClient(a));
    try {
      const answers = (await Promise.all(clients.map((c, k) => c.echoBatch('page-spider', [item(2 * k), item(2 * k + 1)], { timeoutMs: 30_000 })))).flat();
      const ok = answers.filter((a) => a.status === 'OK').length;
      assert.ok(answers.every((a) => a.status === 'OK' || (a.status === 'RETRY' && a.errorCode === 'BACKPRESSURE') || /HOST_BUSY|busy/.test(a.message)), JSON.stringify(answers.map((a) => [a.status, a.errorCode, a.message])));
      assert.ok(ok >= 3, `most pages were fetched: ${ok} of 4`);
      assert.ok(pages >= 3, `the host served them: ${pages}`);
      assert.equal(maxOpen, 1, 'at most one request open at the host, over both processes');
    } finally {
      for (const c of clients) c.close();
    }
  });
});
