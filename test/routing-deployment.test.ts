// Declared routing in a deployment: `quarry miner` on real Kafka + Redis, operator services as
// separate processes (one hosting several operators), a DAG node declaring a fallback, tenant
// pools and a shadow. The shadow's findings are read back with `quarry shadow report` from
// another process, and a shadow that hangs (SIGSTOP) or crashes never touches an item.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { createKafkaBus, type TriggerBus } from '../framework/bus/index.ts';
import { compileDag } from '../framework/dag/index.ts';
import { createRedisItemLedger, type ItemLedger } from '../framework/item-ledger/index.ts';
import { createIngress, type Ingress } from '../framework/miner/index.ts';
import type { ShadowReport } from '../framework/shadow-log/index.ts';
import routedDag from './fixtures/routing-dag.ts';
import { ProcessGroup } from './fixtures/processes.ts';
import { restartable, type Restartable } from './fixtures/restartable.ts';

const KAFKA = process.env.QUARRY_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092';
const REDIS = process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390';
const ns = `route${Date.now() % 1_000_000}`;
const path = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const DAG_FILE = path('./fixtures/routing-dag.ts');
const OPERATORS = ['--import', 'tsx', path('./fixtures/routing-operators.ts')];
const backend = ['--kafka', KAFKA, '--redis', REDIS, '--namespace', ns];
const quarry = (args: string[]) => promisify(execFile)(process.execPath, ['--import', 'tsx', path('../cli/main.ts'), ...args]);

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await sleep(100);
  }
}

describe('declared routing in a deployment: quarry miner + operator services on Kafka + Redis', () => {
  const procs = new ProcessGroup(join(tmpdir(), `quarry-routing-test-${ns}`));
  let main: Restartable;
  let shadowOp: Restartable;
  let bus: TriggerBus;
  let ledger: ItemLedger;
  let ingress: Ingress;
  let metricsUrl: string;

  before(async () => {
    [main, shadowOp] = await Promise.all([restartable(OPERATORS.concat('main')), restartable(OPERATORS.concat('shadow'))]);
    const miner = await procs.start('miner', ['--import', 'tsx', path('../cli/main.ts'), 'miner', DAG_FILE, '--operators', `${main.address},${shadowOp.address}`, '--partitions', '1', '--metrics-port', '0', ...backend], {});
    metricsUrl = String(miner.ready.metrics);
    bus = createKafkaBus({ brokers: KAFKA.split(','), clientId: `${ns}-test` });
    ledger = createRedisItemLedger({ redis: REDIS, namespace: ns });
    ingress = createIngress({ plans: new Map([['routed', compileDag(routedDag, { namespace: ns })]]), bus, ledger });
  });

  after(async () => {
    await procs.killAll();
    main?.close();
    shadowOp?.close();
    await bus?.close();
    await ledger?.close();
    const redis = new Redis(REDIS, { maxRetriesPerRequest: 2 });
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${ns}:*`, 'COUNT', 1_000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
    const admin = new Kafka({ clientId: `${ns}-cleanup`, brokers: KAFKA.split(','), logLevel: logLevel.NOTHING }).admin();
    try {
      await admin.connect();
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${ns}.`));
      if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 15_000 }).catch(() => {});
    } catch {
      // the broker is gone: nothing to clean
    } finally {
      await admin.disconnect().catch(() => {});
    }
    rmSync(procs.logDir, { recursive: true, force: true });
  });

  const submit = async (items: { key: string; tenant?: string }[]) => {
    const res = await ingress.submit(items.map(({ key, tenant }) => ({ dag: 'routed', itemKey: key, source: { text: key.split('#')[0]! }, ...(tenant ? { tenant } : {}) })));
    assert.deepEqual(res.map((r) => r.status), items.map(() => 'accepted'));
  };
  const ended = (key: string, tenant?: string) => until(`${key} to end`, () => ledger.findByKey('routed', key, tenant), (r) => r !== null && r.state !== 'in-flight', 90_000).then((r) => ({
    state: r!.state, by: r!.kept?.by ? (JSON.parse(r!.kept.by) as string) : undefined, words: r!.kept?.words ? (JSON.parse(r!.kept.words) as string) : undefined,
  }));
  const report = async (): Promise<ShadowReport> => JSON.parse((await quarry(['shadow', 'report', 'routed', 'read', '--dags', DAG_FILE, '--json', ...backend.slice(2)])).stdout) as ShadowReport;
  const compared = (r: ShadowReport): number => r.shadows[0]?.compared ?? 0;

  it('routes by the declaration: fallback by name on a multi-operator service, tenant pools, shadow compared and reported', async () => {
    await submit([{ key: 'hard-1' }, { key: 'easy' }, { key: 'v', tenant: 'vip' }, { key: 'box' }]);
    assert.deepEqual(await ended('hard-1'), { state: 'completed', by: 'reader-big', words: 'HARD-1' }, 'the declined item was answered by the fallback');
    assert.deepEqual(await ended('easy'), { state: 'completed', by: 'reader', words: 'EASY' });
    assert.deepEqual(await ended('v', 'vip'), { state: 'completed', by: 'reader-vip', words: 'V' }, 'the vip tenant was served by its pool');
    assert.deepEqual(await ended('box'), { state: 'completed', by: 'reader', words: 'BOX' }, 'the primary\'s answer is used, not the shadow\'s');

    // Three items answered OK by the primary (or the vip pool) were shadowed; the fallback's was not.
    const r = await until('the shadow comparisons', report, (x) => compared(x) >= 3);
    assert.deepEqual(r.shadows, [{ shadow: 'reader-next', compared: 3, agreed: 1, failed: 0, fields: [{ field: 'by', agree: 2, disagree: 1 }, { field: 'words', agree: 2, disagree: 1 }] }]);
    assert.deepEqual(r.samples.map((s) => [s.itemKey, s.differences]).sort(), [
      ['box', [{ field: 'words', primary: '"BOX"', shadow: '"box"' }]],
      ['v', [{ field: 'by', primary: '"reader-vip"', shadow: '"reader"' }]],
    ]);
    const text = (await quarry(['shadow', 'report', 'routed', 'read', '--dags', DAG_FILE, ...backend.slice(2)])).stdout;
    assert.match(text, /shadow report routed\/read: shadow reader-next on 100% of items/);
    assert.match(text, /reader-next: 3 compared, 1 agreed \(33\.3%\), 0 failed in the shadow/);
    assert.match(text, /words\s+2\s+1\s+66\.7%/);
    assert.match(text, /box {2}\(tenant default, reader-next\)\n\s+words: primary "BOX"\n\s+shadow {2}"box"/);

    // The miner's Prometheus endpoint: agreement per field.
    const metrics = await (await fetch(metricsUrl)).text();
    assert.match(metrics, /quarry_shadow_fields_total\{dag="routed",node="read",shadow="reader-next",field="words",result="disagree"[^}]*\} 1\n/);
    assert.match(metrics, /quarry_shadow_items_total\{dag="routed",node="read",shadow="reader-next",result="agree"[^}]*\} 1\n/);
  });

  it('a shadow that hangs never holds an item back; its deadline is recorded as its failure', async () => {
    const before = compared(await report());
    shadowOp.pause(); // SIGSTOP: connections stay open, nothing answers
    try {
      await submit([{ key: 'calm' }]);
      assert.deepEqual(await ended('calm'), { state: 'completed', by: 'reader', words: 'CALM' });
      assert.equal(compared(await report()), before, 'the item ended before its shadow answered');
      const r = await until('the shadow\'s deadline', report, (x) => compared(x) > before);
      assert.equal(r.samples[0]?.itemKey, 'calm');
      assert.equal(r.samples[0]?.failed?.code, 'DEADLINE_EXCEEDED');
    } finally {
      shadowOp.resume();
    }
  });

  it('a shadow that crashes never touches an item; the crash is recorded as its failure', async () => {
    const before = await report();
    await submit([{ key: 'crash' }]);
    assert.deepEqual(await ended('crash'), { state: 'completed', by: 'reader', words: 'CRASH' });
    const r = await until('the shadow\'s crash', report, (x) => compared(x) > compared(before));
    assert.equal(shadowOp.crashes(), 1, 'the shadow process died on the input');
    assert.equal(r.samples[0]?.itemKey, 'crash');
    assert.match(r.samples[0]?.failed?.code ?? '', /^OPERATOR_(DROPPED|CRASHED)$/);
    assert.equal(r.shadows[0]!.failed, before.shadows[0]!.failed + 1);
    const trace = await ledger.findByKey('routed', 'crash');
    assert.deepEqual(trace?.events.map((e) => e.status), ['ok'], 'no retry, no quarantine: the shadow is not the item\'s business');
  });
});
