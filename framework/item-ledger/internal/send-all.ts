// A batch of commands as one round trip: one pipeline on a single Redis node. On Redis Cluster a
// pipeline may not cross nodes, so there the commands go out together, each to its slot's node
// (each command touches one slot).
import type { Redis } from 'ioredis';
import type { RedisClient } from '../../redis/index.ts';
import { QuarryError } from '../../errors/index.ts';

// ioredis flattens array arguments one level (`c.quarryLedgerCommit([n, ...keys, ...args])`).
type Script = (...args: (string | number | Buffer | (string | number | Buffer)[])[]) => Promise<unknown>;

/** The client with the ledger's scripts (`defineCommand`) on it. */
export type Commands = Redis & {
  quarryLedgerOpen: Script;
  quarryLedgerClaimBuffer: Script;
  quarryLedgerCommit: Script;
  quarryLedgerRedrive: Script;
  quarryLedgerIndexEnded: Script;
  quarryLedgerStalledBuffer: Script;
};
export type Call = (c: Commands) => Promise<unknown>;
export type Send = (calls: readonly Call[]) => Promise<unknown[]>;

const wrap = (err: unknown): QuarryError =>
  err instanceof QuarryError ? err : new QuarryError('LEDGER_REDIS', `Item ledger command failed: ${err instanceof Error ? err.message : String(err)}`, { retryable: true, cause: err });

export async function sendAll(client: RedisClient, calls: readonly Call[]): Promise<unknown[]> {
  if (calls.length === 0) return [];
  if (client.isCluster || calls.length === 1) {
    try {
      return await Promise.all(calls.map((call) => call(client as unknown as Commands)));
    } catch (err) {
      throw wrap(err);
    }
  }
  const pipeline = (client as Redis).pipeline() as unknown as Commands & { exec(): Promise<[Error | null, unknown][] | null> };
  for (const call of calls) void call(pipeline); // queued on the pipeline; replies are read from exec()
  let replies: [Error | null, unknown][] | null;
  try {
    replies = await pipeline.exec();
  } catch (err) {
    throw wrap(err);
  }
  if (!replies) throw wrap(new Error('the pipeline was discarded'));
  return replies.map(([err, value]) => {
    if (err) throw wrap(err);
    return value;
  });
}
