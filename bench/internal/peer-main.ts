// One peer per process, driven by core.bench.ts over IPC: this process is the peer's main Node
// process (Quarry's miner, BullMQ's workers, the Streams consumers) and also runs the closed-loop
// driver, so CPU, Redis round trips and event-loop use of the process are the peer's own.
//   node --import tsx bench/internal/peer-main.ts <peer> '<config json>'   (started by core.bench.ts)
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { runClosedLoop } from './closed-loop.ts';
import { startCpuProfile, type CpuProfile } from './cpu-profile.ts';
import { timeProduce } from './fat-baseline.ts';
import { instrumentGrpcServers, instrumentRedis, takeCounters, type Counters } from './instrument.ts';
import { serveParent } from './ipc.ts';
import { deleteTopicsWithPrefix } from './kafka-cleanup.ts';
import { startBullmq } from './peer-bullmq.ts';
import { startQuarryPeer, type Peer, type PeerExtras, type QuarryPeerOptions } from './peer-quarry.ts';
import { startStreams } from './peer-streams.ts';
import { openKafkaProducer } from './quarry-adapter.ts';
import type { LoopResult } from './closed-loop.ts';
import type { ProduceRun } from './fat-baseline.ts';

export type PeerName = 'quarry-kafka-redis' | 'quarry-kafka-redis-chained' | 'quarry-kafka-memory' | 'quarry-embedded' | 'bullmq' | 'bullmq-flow' | 'redis-streams' | 'fat-baseline';

export interface PhaseReply {
  loop: LoopResult;
  counters: Counters;
  extras: PeerExtras;
  /** Event-loop utilisation of this process over the phase (0…1). */
  elu: number;
}

export interface FatReply {
  reference: ProduceRun;
  fat: ProduceRun;
}

instrumentRedis();
instrumentGrpcServers();
const root = fileURLToPath(new URL('../..', import.meta.url));
const name = process.argv[2] as PeerName;
const config = JSON.parse(process.argv[3] ?? '{}') as QuarryPeerOptions & { warmup: number; sizes: string[] };

async function plainPeer(p: { onTerminal: Peer['target']['onTerminal']; submit: Peer['target']['submit']; close(): Promise<void> }, topicPrefixes: string[] = []): Promise<Peer> {
  return { target: p, pids: {}, settle: async () => {}, extras: async () => ({}), profileOthers: async () => {}, close: () => p.close(), topicPrefixes };
}

async function start(): Promise<Peer> {
  switch (name) {
    case 'quarry-kafka-redis': return startQuarryPeer('kafka-redis', config, root);
    case 'quarry-kafka-redis-chained': return startQuarryPeer('kafka-redis-chained', config, root);
    case 'quarry-kafka-memory': return startQuarryPeer('kafka-memory', config, root);
    case 'quarry-embedded': return startQuarryPeer('embedded', config, root);
    case 'bullmq': return plainPeer(startBullmq({ ...config, shape: 'chain' }));
    case 'bullmq-flow': return plainPeer(startBullmq({ ...config, shape: 'flow' }));
    case 'redis-streams': return plainPeer(await startStreams(config));
    // Not a pipeline: its phases are the `fat` requests below.
    case 'fat-baseline': return plainPeer({ onTerminal: () => {}, submit: async () => {}, close: async () => {} }, [`bench-core-${config.runId}.`]);
    default: throw new Error(`Expected a peer name, got \`${String(name)}\``);
  }
}

const peer = await start();
const producer = name === 'fat-baseline' ? openKafkaProducer(config.brokers, `bench-core-fat-${config.runId}`) : undefined;
let profile: CpuProfile | undefined;

async function phase(req: { bytes: number; items: number; window: number; keyPrefix: string }): Promise<PhaseReply> {
  takeCounters();
  await peer.extras();
  const elu0 = performance.eventLoopUtilization();
  const loop = await runClosedLoop(peer.target, req);
  await peer.settle();
  const elu = performance.eventLoopUtilization(elu0).utilization;
  return { loop, counters: takeCounters(), extras: await peer.extras(), elu: Math.round(elu * 1000) / 1000 };
}

// Warm-up, not measured: connections open, consumer groups joined, JIT warm (a few hundred items:
// BullMQ's CPU per item halves between its first and its second thousand).
if (name !== 'fat-baseline' && config.warmup > 0) {
  if (config.sizes.includes('1kb')) await phase({ bytes: 1024, items: config.warmup, window: 256, keyPrefix: 'warm-1kb-' });
  if (config.sizes.includes('100kb')) await phase({ bytes: 100 * 1024, items: Math.ceil(config.warmup / 10), window: 64, keyPrefix: 'warm-100kb-' });
}

serveParent(async (req) => {
  switch (req.op) {
    case 'pids':
      return peer.pids;
    case 'phase':
      return phase(req as unknown as Parameters<typeof phase>[0]);
    case 'fat': {
      const r = req as unknown as { label: string; messages: number; triggerBytes: number; tupleBytes: number; hops: number };
      const reference = await timeProduce(producer!, `bench-core-${config.runId}.ref-${r.label}`, { messages: r.messages, bytes: r.triggerBytes, hopsPerItem: r.hops });
      const fat = await timeProduce(producer!, `bench-core-${config.runId}.fat-${r.label}`, { messages: r.messages, bytes: r.triggerBytes + r.tupleBytes, hopsPerItem: r.hops });
      return { reference, fat } satisfies FatReply;
    }
    case 'profile':
      profile ??= await startCpuProfile();
      await peer.profileOthers();
      return null;
    case 'close': {
      const dir = typeof req.profileDir === 'string' ? req.profileDir : undefined;
      const path = (role: string) => join(dir!, `${name}-${role}.cpuprofile`);
      if (profile && dir) await profile.write(path('main'));
      await peer.close(dir ? path : undefined);
      await producer?.close();
      if (peer.topicPrefixes.length > 0) await deleteTopicsWithPrefix(config.brokers, peer.topicPrefixes).catch((err: unknown) => console.error(`[${name}] could not delete its topics: ${String(err)}`));
      return null;
    }
    default:
      throw new Error(`unknown request \`${req.op}\``);
  }
});
