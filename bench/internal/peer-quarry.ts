// Quarry as a peer: the adapter's runtime in this process (the miner, with the bench driver), and
// for the Kafka backends the operators in a process of their own, as a deployment runs them.
import { join } from 'node:path';
import type { PipelineTarget } from './closed-loop.ts';
import { startChild, type Child } from './ipc.ts';
import { startQuarry, type QuarryBackend, type QuarryFigures } from './quarry-adapter.ts';

export interface PeerExtras {
  /** gRPC calls handled by the operator process, by method (absent when operators are in-process). */
  operatorGrpc?: Record<string, number>;
  quarry?: QuarryFigures;
}

/** What the peer process drives: a pipeline, the processes it spans, and how to end it. */
export interface Peer {
  target: PipelineTarget;
  /** Other processes of this peer, by role. */
  pids: Record<string, number>;
  settle(): Promise<void>;
  extras(): Promise<PeerExtras>;
  profileOthers(): Promise<void>;
  close(profilePath?: (role: string) => string): Promise<void>;
  topicPrefixes: string[];
}

export interface QuarryPeerOptions {
  redis: string;
  brokers: readonly string[];
  runId: string;
  concurrency: number;
  operatorCapacity: number;
}

export async function startQuarryPeer(backend: QuarryBackend, o: QuarryPeerOptions, root: string): Promise<Peer> {
  let operator: Child | undefined;
  if (backend !== 'embedded') {
    operator = await startChild(`${backend} operator process`, join(root, 'bench/internal/operator-process.ts'), [String(o.operatorCapacity)], { cwd: root });
  }
  try {
    const endpoints = operator ? [await operator.request<string>({ op: 'address' })] : undefined;
    const q = await startQuarry({ backend, redis: o.redis, brokers: o.brokers, runId: o.runId, concurrency: o.concurrency, ...(endpoints ? { endpoints } : {}) });
    return {
      target: q,
      pids: operator ? { operator: operator.pid } : {},
      settle: () => q.settle(),
      async extras() {
        return { quarry: await q.figures(), ...(operator ? { operatorGrpc: await operator.request<Record<string, number>>({ op: 'counters' }) } : {}) };
      },
      async profileOthers() {
        await operator?.request({ op: 'profile' });
      },
      async close(profilePath) {
        await q.close();
        await operator?.stop(profilePath ? { profilePath: profilePath('operator') } : {});
      },
      topicPrefixes: q.topicPrefixes,
    };
  } catch (err) {
    await operator?.stop();
    throw err;
  }
}
