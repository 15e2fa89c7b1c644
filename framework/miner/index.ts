/**
 * The miner: hosts DAG nodes and moves items through them a batch at a time, at-least-once
 * with effects once; and the ingress where items enter.
 *
 *   const ingress = createIngress({ plans, bus, ledger });
 *   const miner = createMiner({ hosts: [{ plan }], operators: (n) => directory.echo(n), descriptions,
 *     bus, blobs, ledger, admission: ingress, ingress, now: Date.now });
 *   await miner.start();
 *   await ingress.submit([{ dag: 'page-ingest', itemKey: url, source: { url } }]);
 */
export { createMiner, DEFAULT_STRANDED_AFTER_MS, type Miner, type MinerOptions, type HostedNode } from './miner.ts';
export { nodeGroup, nodeLag } from './node-lag.ts';
export { createIngress, newTraceparent, assignMessageId, type Ingress, type IngressOptions } from './ingress.ts';
export { decideAnswer, decideFilter, type Decision, type OpStatus } from './decide.ts';
export { replayLetters, replayIdOf, type ReplayLine, type ReplayStatus, type ReplayDeps } from './replay.ts';
export { retryTopic, MAX_REDRIVES } from './outbox.ts';
export type { MinerDeps } from './work.ts';
export type { NodeRunner, NodeStats } from './node-runner.ts';
