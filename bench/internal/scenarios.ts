// The core bench's peers, the sizes each runs, and `--filter`: comma-separated terms, each a size
// (`1kb`, `100kb`) or a part of a peer's name (`bullmq`, `quarry`, `kafka`, `quarry-embedded`).
// A scenario runs when it matches one of the peer terms (or there are none) and one of the size
// terms (or there are none): `--filter bullmq,quarry-embedded,1kb` is those two peers at 1 KB.
import type { Uses } from './core-summary.ts';
import type { PeerName } from './peer-main.ts';

export interface PeerSpec {
  name: PeerName;
  label: string;
  sizes: readonly string[];
  uses: Uses;
}

export const SIZE_BYTES: Record<string, number> = { '1kb': 1024, '100kb': 100 * 1024 };

export const PEERS: readonly PeerSpec[] = [
  { name: 'quarry-kafka-redis', label: 'Quarry Kafka + Redis', sizes: ['1kb', '100kb'], uses: { redis: true, kafka: true, operatorProcess: true } },
  { name: 'quarry-kafka-redis-chained', label: 'Quarry Kafka + Redis, chained (`--chain`)', sizes: ['1kb', '100kb'], uses: { redis: true, kafka: true, operatorProcess: true } },
  { name: 'quarry-kafka-memory', label: 'Quarry Kafka bus, in-memory state', sizes: ['1kb', '100kb'], uses: { redis: false, kafka: true, operatorProcess: true } },
  { name: 'quarry-embedded', label: 'Quarry embedded', sizes: ['1kb', '100kb'], uses: { redis: false, kafka: false, operatorProcess: false } },
  { name: 'bullmq', label: 'BullMQ, chain of 6 queues', sizes: ['1kb', '100kb'], uses: { redis: true, kafka: false, operatorProcess: false } },
  { name: 'bullmq-flow', label: 'BullMQ, flow join (the DAG\'s shape)', sizes: ['1kb', '100kb'], uses: { redis: true, kafka: false, operatorProcess: false } },
  { name: 'redis-streams', label: 'raw Redis Streams, 6 hops', sizes: ['1kb'], uses: { redis: true, kafka: false, operatorProcess: false } },
  { name: 'fat-baseline', label: 'fat-message baseline (Kafka produce only)', sizes: ['1kb', '100kb'], uses: { redis: false, kafka: true, operatorProcess: false } },
];

export interface Scenario {
  name: string;
  peer: PeerSpec;
  size: string;
}

export function selectScenarios(filter: string): Scenario[] {
  const terms = filter.split(',').map((t) => t.trim()).filter(Boolean);
  const sizes = terms.filter((t) => t in SIZE_BYTES);
  const peers = terms.filter((t) => !(t in SIZE_BYTES));
  const unknown = peers.filter((t) => !PEERS.some((p) => p.name.includes(t)));
  if (unknown.length > 0) {
    throw new Error(`Expected \`--filter\` terms to be sizes (${Object.keys(SIZE_BYTES).join(', ')}) or parts of peer names (${PEERS.map((p) => p.name).join(', ')}), got \`${unknown.join('`, `')}\``);
  }
  const out: Scenario[] = [];
  for (const size of Object.keys(SIZE_BYTES)) {
    for (const peer of PEERS) {
      if (!peer.sizes.includes(size)) continue;
      if (sizes.length > 0 && !sizes.includes(size)) continue;
      if (peers.length > 0 && !peers.some((t) => peer.name.includes(t))) continue;
      out.push({ name: `${peer.name}-${size}`, peer, size });
    }
  }
  if (out.length === 0) throw new Error(`Expected \`--filter ${filter}\` to select at least one scenario, got none`);
  return out;
}
