// The chaos test: the gate (`quarry gate run`), two miners (`quarry miner`) and two operator
// instances as CLI processes on dedicated Kafka + Redis (+ Cassandra) servers
// (test/fixtures/services.ts), 5,000 items entering through the gate into a DAG with a filter, a
// join, a blob and a permanently failing subset (test/fixtures/chaos-dags.ts). Each run injects
// one fault mid-run:
//   (a) the Kafka broker SIGKILLed and relaunched on the same data;
//   (b) Redis SIGKILLed and relaunched on its AOF (appendfsync everysec);
//   (c) an operator instance SIGKILLed, a miner restarted while it is down, the instance back later;
//   (d) Cassandra stopped and started while the real relation writer (`quarry operator
//       relation-page`, two instances) records every completed item's page.
// After settling: every submitted item has exactly one terminal state, its designed one; the sink
// recorded each completed item's effect once (by its idempotency key); no spurious dead letter;
// nothing in flight; no tuple or blob left. Per fault a diagnostic line gives the figures and the
// recovery time (from the fault until completions flow again).
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createKafkaBus, type TriggerBus } from '../framework/bus/index.ts';
import { compileDag, type DagPlan } from '../framework/dag/index.ts';
import { createRedisItemLedger, type ItemLedger, type ItemRecord } from '../framework/item-ledger/index.ts';
import type { NewItem } from '../framework/admission/index.ts';
import { assignMessageId } from '../framework/miner/index.ts';
import { decodeDeadLetter } from '../framework/wire/index.ts';
import { openGate } from '../cli/gate.ts';
import { chaosDag, chaosSinkKeys, designedOutcome } from './fixtures/chaos-dags.ts';
import { ProcessGroup, type Spawned } from './fixtures/processes.ts';
import { destroyInstance, killService, restartService, startInstance, stopService, type ServiceInstance } from './fixtures/services.ts';
import { createRelationEngine, openRelationStore } from '../relation-engine/index.ts';

const ITEMS = 5_000;
const FAULT_AT_SHARE = 0.25; // the fault hits once this share of the items has ended
const SETTLE_TIMEOUT_MS = 4 * 60_000;
const path = (p: string): string => fileURLToPath(new URL(p, import.meta.url));
const base = `${process.pid % 1000}${Date.now() % 100_000}`;

type Fault = 'kafka' | 'redis' | 'operator' | 'cassandra';
const ALL_FAULTS: readonly Fault[] = ['kafka', 'redis', 'operator', 'cassandra'];
/** The runs of the test command: every fault (QUARRY_CHAOS_FAULTS picks some, comma-separated). */
const DEFAULT_FAULTS: readonly Fault[] = ALL_FAULTS;
const FAULTS: readonly Fault[] = (() => {
  const raw = process.env.QUARRY_CHAOS_FAULTS;
  if (!raw) return DEFAULT_FAULTS;
  const asked = raw.split(',').map((f) => f.trim());
  const unknown = asked.filter((f) => !(ALL_FAULTS as readonly string[]).includes(f));
  if (unknown.length > 0) throw new Error(`QUARRY_CHAOS_FAULTS: unknown fault(s) ${unknown.join(', ')} (expected a comma-separated list of ${ALL_FAULTS.join(', ')})`);
  return asked as Fault[];
})();

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

/** Retries a read while a server is down (the test's own clients see the faults too). */
async function patiently<T>(what: string, fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > until) throw new Error(`${what}: ${(err as Error).message}`);
      await sleep(500);
    }
  }
}

async function scan(redis: Redis, pattern: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
    out.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return out;
}

async function chaosRun(t: TestContext, inst: ServiceInstance, procs: ProcessGroup, fault: Fault): Promise<void> {
  const run = `${base}-${fault[0]}`;
  const namespace = `ch-${run}`;
  const relate = fault === 'cassandra';
  const dag = chaosDag(run, relate);
  const plan: DagPlan = compileDag(dag, { namespace });
  const kafka = inst.kafkaBrokers.join(',');
  const redis = new Redis(inst.redisUrl, { maxRetriesPerRequest: 3 });
  redis.on('error', () => {});
  const ledger: ItemLedger = createRedisItemLedger({ redis, namespace });
  const bus: TriggerBus = createKafkaBus({ brokers: inst.kafkaBrokers, clientId: `ch-${run}-test` });
  const env = { QUARRY_CH_RUN: run, QUARRY_CH_REDIS: inst.redisUrl, QUARRY_CH_NAMESPACE: namespace, QUARRY_CH_RELATE: relate ? '1' : '0' };
  const relations = `cassandra:${inst.cassandra}/quarry_chaos_${run.replace(/-/g, '_')}`;
  const backend = ['--kafka', kafka, '--redis', inst.redisUrl, '--namespace', namespace];
  const cli = (...args: string[]): string[] => ['--import', 'tsx', path('../cli/main.ts'), ...args];
  const ports = [await freePort(), await freePort(), ...(relate ? [await freePort(), await freePort()] : [])];
  const operator = (i: number): Promise<Spawned> => procs.start(`${fault}-operator-${i + 1}`, ['--import', 'tsx', path('./fixtures/chaos-operators.ts')], { ...env, QUARRY_CH_PORT: String(ports[i]) });
  // The real relation writer, as a deployment serves it (it backs off while Cassandra is down).
  const relationWriter = (i: number): Promise<Spawned> => procs.start(`${fault}-relation-writer-${i - 1}`, cli('operator', 'relation-page', '--relations', relations, '--port', String(ports[i]), '--capacity', '512'), env);
  const endpoints = ports.map((p) => `127.0.0.1:${p}`).join(',');
  const miner = (i: number): Promise<Spawned> => procs.start(`${fault}-miner-${i}`, cli('miner', path('./fixtures/chaos-dag.ts'), '--operators', endpoints, ...backend, '--partitions', '4', '--id', `ch-${run}-m${i}`), env);
  try {
    const ops = await Promise.all([operator(0), operator(1), ...(relate ? [relationWriter(2), relationWriter(3)] : [])]);
    // The miners read the operators' Describe as they start; the gate needs nobody.
    const [, ...miners] = await Promise.all([procs.start(`${fault}-gate`, cli('gate', 'run', path('./fixtures/chaos-dag.ts'), ...backend), env), miner(1), miner(2)]);

    // Everything enters through the gate's durable backlog, as `quarry submit --gate` does.
    const gate = await openGate({ kafkaBrokers: inst.kafkaBrokers, redisUrl: inst.redisUrl, namespace, relations: 'embedded:/nonexistent', index: 'embedded:/nonexistent', dataDir: procs.logDir }, { consume: false });
    const items: NewItem[] = Array.from({ length: ITEMS }, (_, n) => assignMessageId({ dag: dag.name, itemKey: `item-${n}`, source: { n: String(n) } }, Date.now(), 0));
    const started = Date.now();
    try {
      for (let i = 0; i < items.length; i += 500) {
        const res = await gate.admission.submit(items.slice(i, i + 500));
        const bad = res.filter((r) => r.status !== 'accepted');
        assert.deepEqual(bad.slice(0, 3), [], 'the gate accepts every submission');
      }
    } finally {
      await gate.close();
    }
    const submitMs = Date.now() - started;

    // Terminal states over time: the fault's recovery is read off this series.
    const ended = async (): Promise<number> => {
      const c = await ledger.counts(dag.name);
      return c.completed + c.filtered + c['dead-lettered'] + c.quarantined;
    };
    const series: { at: number; ended: number }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const n = await ended().catch(() => undefined);
        if (n !== undefined) series.push({ at: Date.now(), ended: n });
        await sleep(250);
      }
    })();

    while ((await patiently('ledger counts', ended)) < ITEMS * FAULT_AT_SHARE) {
      if (Date.now() - started > SETTLE_TIMEOUT_MS) assert.fail(`only ${await ended()} of ${ITEMS} items ended before the fault; ${procs.describe()}; logs in ${procs.logDir}`);
      await sleep(200);
    }
    const faultAt = Date.now();
    const endedAtFault = series.at(-1)?.ended ?? 0;
    if (fault === 'kafka') {
      await killService(inst.name, 'kafka');
      await sleep(3_000);
      await restartService(inst.name, 'kafka');
    } else if (fault === 'redis') {
      await killService(inst.name, 'redis');
      await sleep(5_000);
      await restartService(inst.name, 'redis');
    } else if (fault === 'cassandra') {
      await stopService(inst.name, 'cassandra');
      await sleep(5_000);
      await restartService(inst.name, 'cassandra');
    } else {
      await procs.kill(ops[0]!);
      await procs.kill(miners[0]!);
      miners[0] = await miner(1); // starts while operator-1 is down
      await sleep(5_000);
      ops[0] = await operator(0); // back on its port: the miners join it again
    }
    const backAt = Date.now();

    // Settle: nothing in flight and every item ended, for a few quiet polls in a row.
    let quiet = 0;
    for (;;) {
      const c = await patiently('ledger counts', () => ledger.counts(dag.name));
      const total = c.completed + c.filtered + c['dead-lettered'] + c.quarantined;
      quiet = c['in-flight'] === 0 && total >= ITEMS ? quiet + 1 : 0;
      if (quiet >= 6) break;
      if (Date.now() - started > SETTLE_TIMEOUT_MS) {
        const stuck = await ledger.inFlight(dag.name, 5);
        assert.fail(`${fault}: not settled after ${SETTLE_TIMEOUT_MS} ms (${JSON.stringify(c)}); in flight: ${stuck.map((r) => `${r.itemKey} [${r.events.slice(-3).map((e) => `${e.node}:${e.status}`).join(' ')}]`).join(', ')}; ${procs.describe()}; logs in ${procs.logDir}`);
      }
      await sleep(500);
    }
    sampling = false;
    await sampler;
    const totalMs = Date.now() - started;
    // Recovery: the first sample after the faulted parts are back that shows more items ended
    // than the last sample before. An operator fault leaves a miner and an operator up: they may
    // end every item before the killed processes are back, and then there is nothing to resume.
    const endedAtBack = series.filter((s) => s.at <= backAt).at(-1)?.ended ?? endedAtFault;
    const resumed = series.find((s) => s.at >= backAt && s.ended > endedAtBack);
    const recoveryMs = resumed ? resumed.at - faultAt : -1;

    // Every item: exactly one terminal state (one record under its key, counts adding up), its designed one.
    const counts = await ledger.counts(dag.name);
    const want = { completed: 0, filtered: 0, 'dead-lettered': 0 };
    for (let n = 0; n < ITEMS; n++) want[designedOutcome(n)] += 1;
    const records: (ItemRecord | null)[] = [];
    for (let i = 0; i < ITEMS; i += 500) records.push(...(await Promise.all(items.slice(i, i + 500).map((it) => ledger.findByKey(dag.name, it.itemKey)))));
    const wrong = records.flatMap((r, n) => (r?.state === designedOutcome(n) ? [] : [`item-${n}: ${r ? `${r.state} ${r.reason ?? ''}` : 'unknown to the ledger'} (designed: ${designedOutcome(n)})`]));
    const reAdmitted = records.flatMap((r, n) => (r && r.messageId !== items[n]!.messageId && (r.originId ?? '') !== items[n]!.messageId ? [`item-${n}`] : []));

    // The sink: each completed item's effect once, under the idempotency key the ledger knows it by.
    const k = chaosSinkKeys(namespace, dag.name);
    const [byKey, calls, conflicts] = await Promise.all([redis.hgetall(k.records), redis.hvals(k.calls), redis.hlen(k.conflicts)]);
    const effectWrong = Object.entries(byKey).flatMap(([key, idem]) => {
      const n = Number(key.slice('item-'.length));
      const r = records[n];
      return designedOutcome(n) === 'completed' && r && (r.originId || r.messageId) === idem ? [] : [`${key}: effect under ${idem}, ledger ${r ? `${r.state} ${r.originId || r.messageId}` : 'none'}`];
    });

    // Dead letters: every designed failure lettered, at its node, and no other item. A letter goes
    // out before its commit (the outbox's order: never lost, maybe twice), so a miner killed in
    // between leaves two copies of one item's letter — same message id, counted as copies; a
    // replay of both runs the item once (replay ids follow from the dead item's).
    const letters = (await bus.read(plan.topics.deadLetter)).map((m) => decodeDeadLetter(m.value));
    const quarantined = (await bus.read(plan.topics.quarantine)).length;
    const letteredItems = new Map<string, Set<string>>();
    for (const l of letters) letteredItems.set(l.trigger?.itemKey ?? '?', (letteredItems.get(l.trigger?.itemKey ?? '?') ?? new Set()).add(l.trigger?.messageId ?? ''));
    const spurious = letters.filter((l) => {
      const n = Number((l.trigger?.itemKey ?? '').slice('item-'.length));
      return !(designedOutcome(n) === 'dead-lettered' && l.node === 'right' && l.errorCode === 'CHAOS_BAD_INPUT' && letteredItems.get(l.trigger!.itemKey)!.size === 1);
    });
    // The relation writer's effect: one page per completed item in Cassandra.
    let pages = -1;
    if (relate) {
      const engine = createRelationEngine({ store: await openRelationStore(relations) });
      try {
        pages = (await engine.counts({ exact: true })).pages;
      } finally {
        await engine.close();
      }
    }
    const tuples = (await scan(redis, `${namespace}:t:*`)).length;
    // A miner SIGKILLed between a commit and its blob deletes (or Redis losing the deletes' last
    // second of AOF) leaves the released blob to its TTL (the miner's blobTtlMs): counted, but
    // only a blob that never expires is a leak.
    const blobKeys = await scan(redis, `${namespace}:b:*`);
    const blobTtls = await Promise.all(blobKeys.map((key) => redis.pttl(key)));
    const blobs = blobKeys.length;
    const undying = blobKeys.filter((_, i) => blobTtls[i]! < 0);
    const figures = {
      fault, submitted: ITEMS, completed: counts.completed, filtered: counts.filtered, deadLettered: counts['dead-lettered'], quarantined: counts.quarantined,
      inFlight: counts['in-flight'], wrongOutcome: wrong.length, reAdmitted: reAdmitted.length,
      duplicateEffects: conflicts, sinkRecords: Object.keys(byKey).length, sinkCalls: calls.reduce((n, c) => n + Number(c), 0),
      ...(relate ? { relationPages: pages } : {}), deadLetters: letteredItems.size, deadLetterCopies: letters.length - letteredItems.size, spuriousDeadLetters: spurious.length + quarantined, leftoverTuples: tuples, leftoverBlobs: blobs, leftoverBlobsWithoutTtl: undying.length,
      faultAtEnded: endedAtFault, backAtEnded: endedAtBack, recoveryMs, outageMs: backAt - faultAt, submitMs, totalMs,
    };
    t.diagnostic(`chaos ${fault}: ${JSON.stringify(figures)}`);

    assert.deepEqual(wrong.slice(0, 10), [], `${fault}: ${wrong.length} item(s) without their designed terminal state`);
    assert.deepEqual(counts, { 'in-flight': 0, ...want, quarantined: 0 }, `${fault}: one terminal state per item (ledger counts)`);
    assert.deepEqual(reAdmitted.slice(0, 5), [], `${fault}: every item kept its one message id from the gate to its end`);
    assert.equal(conflicts, 0, `${fault}: no item had its effect twice (under two idempotency keys)`);
    assert.deepEqual(effectWrong.slice(0, 5), [], `${fault}: every sink record is a completed item's, under its idempotency key`);
    assert.equal(Object.keys(byKey).length, want.completed, `${fault}: the sink recorded every completed item`);
    assert.deepEqual(spurious.slice(0, 3).map((l) => `${l.trigger?.itemKey}@${l.node}: ${l.lastError}`), [], `${fault}: no spurious dead letter`);
    assert.equal(quarantined, 0, `${fault}: nothing quarantined`);
    assert.equal(letteredItems.size, want['dead-lettered'], `${fault}: every designed failure dead-lettered`);
    // A letter goes out before its commit (written twice, never lost): a killed miner, or a broker
    // that died before its ack reached the producer, sends some again — counted as copies above.
    if (fault === 'redis' || fault === 'cassandra') assert.equal(letters.length, letteredItems.size, `${fault}: one letter per item (no miner or broker was killed)`);
    if (relate) assert.equal(pages, want.completed, `${fault}: the relation writer recorded one page per completed item`);
    assert.equal(tuples, 0, `${fault}: no tuple left`);
    assert.deepEqual(undying.slice(0, 5), [], `${fault}: no item blob left without an expiry`);
    if (fault === 'kafka' || fault === 'cassandra') assert.equal(blobs, 0, `${fault}: no item blob left (no miner or Redis was killed)`);
    assert.ok(recoveryMs > 0 || endedAtBack >= ITEMS, `${fault}: throughput resumed after the fault (or every item had ended before the faulted processes were back)`);
  } finally {
    await procs.killAll();
    await bus.close().catch(() => {});
    redis.disconnect();
  }
}

describe('chaos test: the gate, two miners and two operators on Kafka + Redis, one fault per run', () => {
  let inst: ServiceInstance;
  const logDir = join(tmpdir(), `quarry-chaos-test-${base}`);
  let failed = false; // the processes' logs are kept when a run fails

  before(async () => {
    inst = await startInstance(`chaos-${process.pid}`, ['redis', 'kafka'], { fresh: true });
  });

  after(async () => {
    await destroyInstance(`chaos-${process.pid}`).catch(() => {});
    if (!failed) rmSync(logDir, { recursive: true, force: true });
  });

  for (const fault of FAULTS) {
    it(`${fault}: every item ends once, as designed; effects once; nothing left`, async (t) => {
      try {
        if (fault === 'cassandra') inst = await startInstance(inst.name, ['redis', 'kafka', 'cassandra']);
        await chaosRun(t, inst, new ProcessGroup(join(logDir, fault)), fault);
      } catch (err) {
        failed = true;
        throw err;
      }
    });
  }
});
