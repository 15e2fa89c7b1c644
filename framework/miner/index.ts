/**
 * The miner: hosts DAG nodes, moves items through them at-least-once with effects once, and
 * the ingress where items enter.
 *
 *   const ingress = createIngress({ plans, bus, sideCache, ledger });
 *   const miner = createMiner({ hosts: [{ plan }], operators: (n) => clients[n].echo, descriptions,
 *     bus, sideCache, blobs, ledger, admission: ingress, ingress, now: Date.now });
 *   await miner.start();
 *   await ingress.submit([{ dag: 'page-ingest', itemKey: url, source: { url } }]);
 */
export { createMiner, nodeGroup, type Miner, type MinerOptions, type HostedNode } from './miner.ts';
export { createIngress, newTraceparent, type ItemSink, type NewItem, type SubmitResult, type IngressOptions } from './ingress.ts';
export { retryTopic, type MinerDeps } from './effects.ts';
