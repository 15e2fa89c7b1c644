// The maintained counts on Cassandra: counter rows, a shard per process (so writers in different
// processes do not contend on one row), and the claims that count a content's milestones once.
import cassandra from 'cassandra-driver';
import { addDelta } from '../counts.ts';
import { bucketOf } from '../model.ts';
import type { CountDelta, WriteSet } from '../relation-store.ts';
import type { Limiter } from './limiter.ts';
import type { Queries } from './cassandra-queries.ts';

export class CassandraCounts {
  private readonly shard = Math.floor(Math.random() * 16);
  /** Counter updates are not idempotent: the driver must not retry them on its own. */
  private readonly addOptions: cassandra.QueryOptions;
  /** Lightweight transactions, serial across data centres (writers anywhere may race); not retried either. */
  private readonly claimOptions: cassandra.QueryOptions;

  constructor(private readonly client: cassandra.Client, private readonly limit: Limiter, private readonly q: Queries, private readonly buckets: number, write: cassandra.QueryOptions) {
    this.addOptions = { ...write, isIdempotent: false, counter: true, logged: false };
    this.claimOptions = { ...write, isIdempotent: false, serialConsistency: cassandra.types.consistencies.serial };
  }

  /** Adds `delta`, and each milestone of `contents` (already written) this process claims first. */
  async add(delta: CountDelta, contents: NonNullable<WriteSet['contents']> = []): Promise<void> {
    const all = { ...delta };
    addDelta(all, await this.claim(contents));
    const entries = Object.entries(all).filter(([, d]) => d !== 0);
    if (entries.length === 0) return;
    await this.limit(() => this.client.batch(entries.map(([name, d]) => ({ query: this.q.addCount, params: [cassandra.types.Long.fromNumber(d), this.shard, name] })), this.addOptions));
  }

  /**
   * A lightweight transaction per milestone a write may be the first to give: of writers racing in
   * several processes exactly one counts it. A claim that timed out may have been applied.
   */
  private async claim(contents: NonNullable<WriteSet['contents']>): Promise<CountDelta> {
    const won: CountDelta = {};
    await Promise.all(contents.flatMap(({ sign, firsts }) => (firsts ?? []).map(async (m) => {
      const rs = await this.limit(() => this.client.execute(this.q.claim[m], [bucketOf(sign, this.buckets), sign], this.claimOptions));
      if (rs.first()?.['[applied]'] === true) addDelta(won, { [m]: 1 });
    })));
    return won;
  }
}
