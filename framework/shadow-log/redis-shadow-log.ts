// The shadow log in the deployment's Redis, where every miner records and `quarry shadow report`
// reads: per node one hash of counters and one list of the latest disagreements (JSON, newest
// first, trimmed to `keep`). Both keys carry the node as a Redis Cluster hash tag, so a batch of
// outcomes is one pipeline to one node; both expire `retentionMs` after the last write.
import { QuarryError } from '../errors/index.ts';
import { execBatch, useRedis, type KeyCommand, type RedisClient } from '../redis/index.ts';
import { DEFAULT_SAMPLES_KEPT, disagrees, type ShadowLog, type ShadowSample } from './shadow-log.ts';
import { increments, tallies } from './tally.ts';

export interface RedisShadowLogOptions {
  /** A URL (the log owns and closes the connection) or a client (the caller's to close). */
  redis: string | RedisClient;
  namespace: string;
  /** Disagreements kept per node (default 100). */
  keep?: number;
  /** How long a node's counts and samples outlive its last comparison (default 30 days). */
  retentionMs?: number;
}

export function createRedisShadowLog(options: RedisShadowLogOptions): ShadowLog {
  if (typeof options.namespace !== 'string' || options.namespace.length === 0) throw new QuarryError('CONFIG_INVALID', `Expected \`namespace\` to be a non-empty string, got \`${String(options.namespace)}\``);
  const keep = Math.max(1, options.keep ?? DEFAULT_SAMPLES_KEPT);
  const retentionMs = options.retentionMs ?? 30 * 86_400_000;
  const { client, release } = useRedis(options.redis);
  const keys = (dag: string, node: string) => {
    const base = `${options.namespace}:shadow:{${dag}/${node}}`;
    return { counts: `${base}:counts`, samples: `${base}:samples` };
  };
  return {
    async record(dag, node, outcomes) {
      if (outcomes.length === 0) return;
      const k = keys(dag, node);
      const commands: KeyCommand[] = [...increments(outcomes)].map(([name, n]) => ({ key: k.counts, name: 'hincrby', args: [k.counts, name, n] }));
      commands.push({ key: k.counts, name: 'pexpire', args: [k.counts, retentionMs] });
      const kept = outcomes.filter(disagrees).map((o) => JSON.stringify(o));
      if (kept.length > 0) {
        commands.push({ key: k.samples, name: 'lpush', args: [k.samples, ...kept] });
        commands.push({ key: k.samples, name: 'ltrim', args: [k.samples, 0, keep - 1] });
        commands.push({ key: k.samples, name: 'pexpire', args: [k.samples, retentionMs] });
      }
      await execBatch(client, commands);
    },
    async report(dag, node, o = {}) {
      const k = keys(dag, node);
      const [counts, samples] = (await execBatch(client, [
        { key: k.counts, name: 'hgetall', args: [k.counts] },
        { key: k.samples, name: 'lrange', args: [k.samples, 0, o.samples === undefined ? -1 : Math.max(0, o.samples) - 1] },
      ])) as [Record<string, string>, string[]];
      return {
        dag,
        node,
        shadows: tallies(Object.entries(counts).map(([name, n]) => [name, Number(n)])),
        samples: (o.samples === 0 ? [] : samples).flatMap((s): ShadowSample[] => {
          try {
            return [JSON.parse(s) as ShadowSample];
          } catch {
            return [];
          }
        }),
      };
    },
    async clear(dag, node) {
      const k = keys(dag, node);
      await execBatch(client, [{ key: k.counts, name: 'unlink', args: [k.counts] }, { key: k.samples, name: 'unlink', args: [k.samples] }]);
    },
    close: () => release(),
  };
}
