// The record of every terminal state survives the loss of Redis (#13): on real Kafka + Redis, a
// crawl of the demo site publishes each ended item's record to `<namespace>.ended`; then the
// deployment's Redis loses its data. `quarry trace --redis` alone no longer knows the items, and
// says where it looked; with `--kafka` it answers from the topic, saying so, with the same state,
// reason, trace id and timed history; `quarry relations refused --kafka` lists the refusals.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { createBuiltInOperators } from '../cli/built-in-operators.ts';
import { refusalOf } from '../cli/commands/relations-refused.ts';
import { imageIngestionDags } from '../dags/index.ts';
import { startDemoSite, type DemoSite } from '../demo-site/index.ts';
import { createRedisBlobStore } from '../framework/blob-store/index.ts';
import { createKafkaBus } from '../framework/bus/index.ts';
import { createRedisItemLedger, type ItemRecord } from '../framework/item-ledger/index.ts';
import { createRedisClient } from '../framework/redis/index.ts';
import { startRuntime } from '../framework/runtime/index.ts';
import { createRedisSideCache } from '../framework/side-cache/index.ts';
import { deleteMatching } from '../framework/testing/index.ts';

const KAFKA = process.env.QUARRY_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092';
const REDIS = process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
const ns = `et${randomBytes(4).toString('hex')}`;
const quarry = (args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { encoding: 'utf8' });
type Traced = ItemRecord & { source: string };
const traced = async (args: string[]) => JSON.parse((await quarry(['trace', ...args, '--namespace', ns, '--json'])).stdout) as Traced[];

describe('trace from the ended topic when the Redis ledger has lost the item', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-ended-topic-'));
  const redis = createRedisClient(REDIS);
  let site: DemoSite;
  let ended: ItemRecord[] = [];

  before(async () => {
    site = await startDemoSite({ slowMs: 200 });
    const operators = await createBuiltInOperators({ relations: `embedded:${join(dir, 'relations')}`, index: `embedded:${join(dir, 'index')}`, allowPrivate: ['127.0.0.0/8'], politeness: { hostDelayMs: 0 } });
    const bus = createKafkaBus({ brokers: [KAFKA], clientId: ns });
    const ledger = createRedisItemLedger({ redis, namespace: ns });
    const rt = await startRuntime({
      dags: [...imageIngestionDags], operators: operators.operators, bus, ledger, namespace: ns, endedTopic: `${ns}.ended`, dedupeWindowMs: 3_600_000,
      sideCache: createRedisSideCache({ redis, namespace: ns }), blobs: createRedisBlobStore({ redis, namespace: ns }),
    });
    try {
      await rt.submit([{ dag: 'page-ingest', itemKey: site.url, source: { url: site.url, depth: '0', maxDepth: '2' } }]);
      await rt.idle(240_000);
    } finally {
      await rt.close(); // every batch finished, so every ended record was produced
      await bus.close();
      await ledger.close();
      await operators.close();
    }
    ended = rt.terminal;
  });
  after(async () => {
    await deleteMatching(redis, `${ns}:*`);
    redis.disconnect();
    await site?.close();
    const admin = new Kafka({ clientId: `${ns}-cleanup`, brokers: [KAFKA], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${ns}.`));
    await admin.deleteTopics({ topics, timeout: 15_000 }).catch(() => {});
    await admin.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers from the ledger while Redis has it, then from the topic, with the same record', async () => {
    const home = ended.find((r) => r.dag === 'page-ingest' && r.itemKey === site.url)!;
    const refused = ended.find((r) => refusalOf(r) !== undefined)!;
    assert.ok(home && refused, `the crawl ended the home page and refused something (${ended.length} ended)`);
    const [fromLedger] = await traced([site.url, '--dag', 'page-ingest', '--redis', REDIS]);
    assert.match(fromLedger!.source, new RegExp(`^item ledger redis\\(.+\\), namespace ${ns}$`));

    // The deployment's Redis loses everything (a restart without persistence).
    assert.ok((await deleteMatching(redis, `${ns}:*`)) > 0);
    const lost = await quarry(['trace', site.url, '--redis', REDIS, '--namespace', ns]).then(() => undefined, (err: { stderr: string }) => err.stderr);
    assert.match(lost ?? 'it still answered', new RegExp(`no item with key \`${site.url}\`.*searched the item ledger redis\\(.+\\), namespace ${ns}; it never entered`));

    const [got] = await traced([home.itemKey, '--dag', home.dag, '--redis', REDIS, '--kafka', KAFKA]);
    assert.equal(got?.source, `Kafka topic ${ns}.ended on ${KAFKA} (the ledger no longer knows the item)`);
    const { source: _, ...record } = got!;
    assert.deepEqual(record, home, 'the record the miner ended it with');
    assert.ok(record.events.length === 3 && record.events.every((e) => typeof e.tookMs === 'number'), 'with every node\'s time');
    const { stdout } = await quarry(['trace', refused.itemKey, '--dag', refused.dag, '--redis', REDIS, '--kafka', KAFKA, '--namespace', ns]);
    assert.match(stdout, new RegExp(`^ {2}state {5}${refused.state} — ${refused.reason} \\(at ${refused.node}\\)$`, 'm'));
    assert.match(stdout, new RegExp(`^ {2}source {4}Kafka topic ${ns}\\.ended`, 'm'));
  });

  it('answers from the topic when Redis is gone altogether, and says why the ledger did not answer', async () => {
    // A port nothing listens on: the deployment's Redis is not there at all.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const gone = `redis://127.0.0.1:${(probe.address() as { port: number }).port}`;
    await new Promise((resolve) => probe.close(resolve));
    const home = ended.find((r) => r.dag === 'page-ingest' && r.itemKey === site.url)!;
    const [got] = await traced([home.itemKey, '--dag', home.dag, '--redis', gone, '--kafka', KAFKA]);
    assert.equal(got?.source, `Kafka topic ${ns}.ended on ${KAFKA} (the ledger could not be read)`);
    assert.deepEqual((({ source: _, ...record }) => record)(got!), home);
    const alone = await quarry(['trace', home.itemKey, '--redis', gone, '--namespace', ns]).then(() => 'it answered', (err: { stderr: string }) => err.stderr);
    assert.match(alone, new RegExp(`the item ledger redis\\(${gone.replace(/[.:/]/g, '\\$&')}\\), namespace ${ns} cannot be read: .+ \\(with --kafka, the records of ended items are read from \`${ns}\\.ended\`\\)`));
  });

  it('relations refused --kafka lists every refusal the crawl ended with, from the topic', async () => {
    const { stdout } = await quarry(['relations', 'refused', '--kafka', KAFKA, '--namespace', ns]);
    const listed = stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as object);
    const want = ended.map(refusalOf).filter((r) => r !== undefined).sort((a, b) => a.dag.localeCompare(b.dag) || a.url.localeCompare(b.url));
    assert.ok(want.length > 0);
    assert.deepEqual(listed, want);
  });
});
