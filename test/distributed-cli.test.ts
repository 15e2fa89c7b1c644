// The distributed deployment from the command line, on real Kafka + Redis: an operator service,
// a gate and a miner as separate `quarry` processes, items entering with `quarry submit --gate`.
// The miner chains (`--chain`): the demo job runs with successors handed over in process (the
// other deployment tests run unchained miners).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createKafkaBus } from '../framework/bus/index.ts';
import { createRedisItemLedger } from '../framework/item-ledger/index.ts';
import { startDemoSite, type DemoSite } from '../demo-site/index.ts';
import { waitForDemoJob } from './fixtures/demo-job.ts';
import { createRelationEngine, openRelationStore } from '../relation-engine/index.ts';

const KAFKA = process.env.QUARRY_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092';
const REDIS = process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
const ns = `dcli${Date.now() % 1_000_000}`;
const dir = mkdtempSync(join(tmpdir(), 'quarry-dcli-'));
const backend = ['--kafka', KAFKA, '--redis', REDIS, '--namespace', ns];
const children: ChildProcess[] = [];

/** Start a `quarry` process and wait for the JSON line it prints once it is up. */
async function start(args: string[]): Promise<Record<string, unknown>> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`quarry ${args[0]} exited with ${code}: ${stderr}`)));
  });
  return JSON.parse(line) as Record<string, unknown>;
}

const quarry = (args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args]);

describe('the distributed deployment from the CLI: quarry operator + gate run + miner --gate --chain + submit --gate', () => {
  let site: DemoSite;
  before(async () => {
    site = await startDemoSite();
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await site?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('crawls the demo site through the gate into the relation graph', async (t) => {
    const stores = ['--relations', `embedded:${join(dir, 'relations')}`, '--index', `embedded:${join(dir, 'index')}`];
    const op = await start(['operator', 'page-spider', 'image-extract', 'image-spider', 'image-feature', 'ocr', 'index-builder', 'relation-page', 'relation-link', 'relation-content', 'relation-ocr', '--allow-private', '127.0.0.0/8', ...stores]);
    await start(['gate', 'run', ...backend]);
    await start(['miner', '--operators', String(op.listening), '--gate', '--chain', '--partitions', '2', ...backend]);
    const { stdout } = await quarry(['submit', 'page-ingest', '--source', `url=${site.url}`, 'depth=0', `maxDepth=${site.groundTruth.maxDepth}`, '--gate', ...backend]);
    assert.equal(JSON.parse(stdout).status, 'accepted');

    const ledger = createRedisItemLedger({ redis: REDIS, namespace: ns });
    const truth = site.groundTruth;
    const { done, counts: ended } = await waitForDemoJob(ledger, site, 240_000);
    t.diagnostic(JSON.stringify(ended));
    assert.ok(done, `every page, image link and OCR item ended within the deadline: ${JSON.stringify(ended)}`);
    await ledger.close();

    for (const c of children) c.kill('SIGTERM');
    await sleep(1_000);
    const engine = createRelationEngine({ store: await openRelationStore(`embedded:${join(dir, 'relations')}`) });
    const counts = await engine.counts();
    await engine.close();
    assert.equal(counts.contents, truth.contents.length);
    assert.equal(counts.contentsWithOcr >= truth.ocr.length, true);
    const dlq = await quarry(['dlq', 'list', 'page-ingest', '--kafka', KAFKA, '--namespace', ns]);
    assert.equal(dlq.stdout.trim(), '', 'nothing dead-lettered');
    // Chained: the page spider's successors were handed over in process, never through their topics.
    const bus = createKafkaBus({ brokers: [KAFKA], clientId: `${ns}-check` });
    try {
      assert.ok((await bus.read(`${ns}.page-ingest.spider`)).length > 0, 'entries come through Kafka');
      assert.equal((await bus.read(`${ns}.page-ingest.extract`)).length, 0, 'extract was chained');
    } finally {
      await bus.close();
    }

    // Why was this page not ingested? The ledger knows, by URL.
    const missing = truth.rejections.find((r) => r.kind === 'page' && r.reason === 'http-404')!;
    const trace = await quarry(['trace', site.absolute(missing.url), '--redis', REDIS, '--namespace', ns]);
    assert.match(trace.stdout, /state\s+filtered — http-404 \(at spider\)/);
    assert.match(trace.stdout, /trace id\s+[0-9a-f]{32}/);
    const home = await quarry(['trace', site.url, '--dag', 'page-ingest', '--redis', REDIS, '--namespace', ns, '--json']);
    const [rec] = JSON.parse(home.stdout) as { state: string; events: { node: string; status: string }[] }[];
    assert.equal(rec?.state, 'completed');
    assert.deepEqual(rec?.events.map((e) => `${e.node}:${e.status}`), ['spider:ok', 'extract:ok', 'relate-page:ok']);
  });
});
