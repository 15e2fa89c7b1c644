// Batches of single-key commands in as few round trips as the deployment allows. One node: one
// pipeline. A Cluster refuses a pipeline whose keys live on different nodes, so the batch is
// split into one pipeline per node (sent in parallel); a command that meets a slot moving
// (MOVED, ASK, TRYAGAIN, CLUSTERDOWN: not executed) is sent again on its own, where ioredis
// follows the redirection. SCAN walks one node's keys, so on a Cluster it runs on every master.
import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';
import type { RedisClient } from './redis-connection.ts';

export interface KeyCommand {
  /** The one key the command touches (its slot decides the node). */
  key: string;
  name: string;
  args: (string | Buffer | number)[];
  /** Replies as Buffers instead of strings. */
  buffer?: boolean;
}

type Reply = [Error | null, unknown];
const NOT_EXECUTED = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN) /;

/** Runs every command; resolves with their replies in order, or rejects with the first error. */
export async function execBatch(client: RedisClient, commands: readonly KeyCommand[]): Promise<unknown[]> {
  if (commands.length === 0) return [];
  const replies: Reply[] = client.isCluster ? await execOnCluster(client as Cluster, commands) : await execPipeline(client, commands);
  return replies.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

async function execPipeline(client: RedisClient, commands: readonly KeyCommand[]): Promise<Reply[]> {
  const pipeline = client.pipeline();
  for (const c of commands) {
    if (c.buffer) pipeline.callBuffer(c.name, ...c.args);
    else pipeline.call(c.name, ...c.args);
  }
  const replies = (await pipeline.exec()) ?? [];
  if (replies.length !== commands.length) throw new Error(`Redis pipeline answered ${replies.length} of ${commands.length} commands`);
  return replies;
}

const single = (client: RedisClient, c: KeyCommand): Promise<Reply> =>
  (c.buffer ? client.callBuffer(c.name, ...c.args) : client.call(c.name, ...c.args)).then(
    (value): Reply => [null, value],
    (err: unknown): Reply => [err instanceof Error ? err : new Error(String(err)), null],
  );

async function execOnCluster(cluster: Cluster, commands: readonly KeyCommand[]): Promise<Reply[]> {
  const replies: Reply[] = new Array<Reply>(commands.length);
  // Before the first slot table arrives, ioredis queues single commands until it is ready.
  if (cluster.slots.length === 0) return Promise.all(commands.map((c) => single(cluster, c)));
  const groups = new Map<string, number[]>();
  commands.forEach((c, i) => {
    const node = cluster.slots[calculateSlot(c.key)]?.join(',') ?? 'unknown';
    const group = groups.get(node);
    if (group) group.push(i);
    else groups.set(node, [i]);
  });
  await Promise.all(
    [...groups.values()].map(async (indexes) => {
      const batch = indexes.map((i) => commands[i]!);
      let got: Reply[];
      try {
        got = await execPipeline(cluster, batch);
      } catch (err) {
        // Refused before anything was sent: the slot table changed between grouping and exec.
        if (!(err instanceof Error && /should belong to the same slot/.test(err.message))) throw err;
        got = batch.map((): Reply => [new Error('TRYAGAIN pipeline refused'), null]);
      }
      await Promise.all(
        indexes.map(async (i, at) => {
          const reply = got[at]!;
          replies[i] = reply[0] !== null && NOT_EXECUTED.test(reply[0].message) ? await single(cluster, commands[i]!) : reply;
        }),
      );
    }),
  );
  return replies;
}

/** Every key matching `pattern` (a SCAN glob), in pages, across every master of a Cluster. */
export async function* scanKeys(client: RedisClient, pattern: string, count = 500): AsyncGenerator<string[]> {
  const nodes = client.isCluster ? await masters(client as Cluster) : [client];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (keys.length > 0) yield keys;
    } while (cursor !== '0');
  }
}

async function masters(cluster: Cluster) {
  if (cluster.nodes('master').length === 0 || cluster.status !== 'ready') await cluster.ping(); // waits for the slot table
  return cluster.nodes('master');
}

/** A glob that matches `text` literally. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
