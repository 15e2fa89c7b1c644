// A miner hosts DAG nodes: one consumer group per node topic, plus the forwarders that move
// delayed retries back to their node when due. More miner processes with the same nodes join
// the same groups and share the partitions.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BusMessage, Subscription } from '../bus/trigger-bus.ts';
import { RETRY_TIERS_MS, type DagPlan } from '../dag/index.ts';
import { QuarryError } from '../errors/index.ts';
import type { EchoBatchFn } from '../operator-client/index.ts';
import { createMemoryShadowLog, type ShadowLog } from '../shadow-log/index.ts';
import { decodeTrigger, encodeTrigger, type OperatorDescription } from '../wire/index.ts';
import { createNodeRunner, type NodeRunner } from './node-runner.ts';
import { routeNode } from './node-routing.ts';
import { laneTopic } from './triggers.ts';
import { nodeGroup } from './node-lag.ts';
import { startSweeper, type Sweeper } from './sweeper.ts';
import type { MinerDeps } from './work.ts';

export interface HostedNode {
  plan: DagPlan;
  /** Node ids of the plan to host; all when absent. */
  nodes?: readonly string[];
}

export interface MinerOptions extends MinerDeps {
  hosts: readonly HostedNode[];
  /** The operator's batch call by operator name (in-process, or a routed client). */
  operators: (name: string) => EchoBatchFn;
  descriptions: ReadonlyMap<string, OperatorDescription>;
  minerId?: string;
  /** Most triggers one batch carries (a node's own `concurrency` caps it further). Default 64. */
  maxBatchSize?: number;
  /** Also run the retry-tier forwarders for these DAGs (one set per deployment is enough). */
  forwardRetries?: boolean;
  /** Partitions of the node topics this miner creates (more partitions, more miners share). */
  partitions?: number;
  /** Where nodes with a `shadow` record what it found (default: in this process's memory). */
  shadowLog?: ShadowLog;
  /**
   * An item quiet this long with open tokens nobody holds has their triggers produced again
   * (see sweeper.ts). Default 10 min; 0 turns the sweep off.
   */
  strandedAfterMs?: number;
  /**
   * Chaining: a successor's trigger goes straight to the successor in process when this miner
   * hosts it, instead of through the bus — no produce, fetch or offset commit for that hop. The
   * hand-off keeps the node's claim, commit, history, retries and concurrency; the batch that
   * started a chain is acknowledged only after it, so a crash redelivers it and its claim
   * repairs what the chain left open (item-ledger.ts). Default false.
   */
  chain?: boolean;
}

export const DEFAULT_STRANDED_AFTER_MS = 600_000;

export interface Miner {
  readonly id: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The node runners by `dag/node`. */
  runners(): ReadonlyMap<string, NodeRunner>;
}

/**
 * How a node's `concurrency` (items in flight at the node in one miner) is spent: in two
 * batches at once (each at most `maxBatch` items), so one batch's round trips overlap the
 * other's. The bus starts a batch as soon as a slot is free, so more, smaller batches would
 * only cost more calls per item.
 */
export function batching(concurrency: number, maxBatch: number): { maxBatchSize: number; concurrency: number } {
  const size = Math.max(1, Math.min(maxBatch, Math.ceil(concurrency / 2)));
  return { maxBatchSize: size, concurrency: Math.max(1, Math.ceil(concurrency / size)) };
}

export function createMiner(options: MinerOptions): Miner {
  const id = options.minerId ?? `miner-${randomUUID().slice(0, 8)}`;
  const subs: Subscription[] = [];
  const runners = new Map<string, NodeRunner>();
  const shadowLog = options.shadowLog ?? createMemoryShadowLog();
  let sweeper: Sweeper | undefined;
  // Chaining: the hosted node runners by their topics (both lanes).
  const byTopic = new Map<string, NodeRunner>();
  const chainTo = options.chain ? (topic: string): NodeRunner | undefined => byTopic.get(topic) : undefined;

  async function forward(plan: DagPlan, topic: string, tierMs: number, messages: readonly { key: string; value: Uint8Array }[]): Promise<void> {
    // Messages of one tier are due in the order they arrived: hand each back to its node when
    // due (or round the same tier again when further away), a run of due ones in one produce.
    const due = new Map<string, BusMessage[]>();
    const flush = async (): Promise<void> => {
      await options.bus.produceMany([...due].map(([topic, messages]) => ({ topic, messages })));
      due.clear();
    };
    const add = (t: string, m: BusMessage): void => {
      const list = due.get(t);
      if (list) list.push(m);
      else due.set(t, [m]);
    };
    for (const m of messages) {
      let t;
      try {
        t = decodeTrigger(m.value);
      } catch {
        add(plan.topics.deadLetter, { key: m.key, value: m.value });
        continue;
      }
      const wait = t.notBeforeMs - options.now();
      if (wait > tierMs) {
        add(topic, { key: m.key, value: m.value });
        continue;
      }
      if (wait > 0) {
        await flush();
        await sleep(wait);
      }
      const node = plan.nodes.find((n) => n.id === t.node);
      add(node ? laneTopic(node, t.priority) : plan.topics.deadLetter, { key: m.key, value: encodeTrigger({ ...t, notBeforeMs: 0 }) });
    }
    await flush();
  }

  return {
    id,
    runners: () => runners,
    async start() {
      for (const host of options.hosts) {
        const { plan } = host;
        const hosted = plan.nodes.filter((n) => !host.nodes || host.nodes.includes(n.id));
        await options.bus.ensureTopics(plan.nodes.flatMap((n) => [n.topic, n.highTopic]), options.partitions ?? 1);
        await options.bus.ensureTopics([...plan.topics.retry, plan.topics.deadLetter, plan.topics.quarantine], 1);
        if (options.endedTopic) await options.bus.ensureTopics([options.endedTopic], 1, { compacted: true }); // read by key: the last record wins
        for (const node of hosted) {
          const description = node.kind === 'operator' ? options.descriptions.get(node.operator) : undefined;
          if (node.kind === 'operator' && !description) throw new QuarryError('UNKNOWN_OPERATOR', `node \`${node.id}\` of DAG \`${plan.name}\` needs operator \`${node.operator}\`, which no configured endpoint describes`);
          const runner = createNodeRunner({
            ...options,
            plan,
            node,
            ...(node.kind === 'operator' ? { echo: routeNode(plan, node, { operators: options.operators, shadowLog, now: options.now }) } : {}),
            ...(description ? { description } : {}),
            ...(chainTo ? { chainTo } : {}),
            minerId: id,
          });
          runners.set(`${plan.name}/${node.id}`, runner);
          byTopic.set(node.topic, runner).set(node.highTopic, runner);
          const { maxBatchSize, concurrency: chunks } = batching(node.concurrency, options.maxBatchSize ?? 64);
          // Chained, a batch from the bus waits after its commit for the chain it started, while
          // the runner's slots bound the node's own work: the lanes start a batch per node the
          // chain may pass, so every node of it has batches to work on.
          const concurrency = chainTo ? chunks * plan.nodes.length : chunks;
          // Two lanes, each its own group: a high-priority trigger never waits behind the others' backlog.
          const lanes = await Promise.all([node.topic, node.highTopic].map((topic) => options.bus.subscribe({ groupId: nodeGroup(topic), topics: [topic], maxBatchSize, concurrency, handleBatch: (b) => runner.handleBatch(b) })));
          subs.push(...lanes);
        }
        if (options.forwardRetries ?? true) {
          for (const [i, topic] of plan.topics.retry.entries()) {
            // One group per tier: Kafka assigns a group's partitions as if every member had the same subscription.
            subs.push(await options.bus.subscribe({ groupId: `${topic}.forwarder`, topics: [topic], maxBatchSize: 256, handleBatch: (b) => forward(plan, topic, RETRY_TIERS_MS[i]!, b.messages) }));
          }
        }
      }
      const idleMs = options.strandedAfterMs ?? DEFAULT_STRANDED_AFTER_MS;
      if (idleMs > 0) {
        sweeper = startSweeper({
          plans: options.hosts.map((h) => h.plan), ledger: options.ledger, bus: options.bus, idleMs,
          onError: (err) => console.error(`[quarry] stranded-token sweep: ${err instanceof Error ? err.message : String(err)}`),
        });
      }
    },
    async stop() {
      await sweeper?.stop();
      await Promise.all(subs.splice(0).map((s) => s.close()));
    },
  };
}
