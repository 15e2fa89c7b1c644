// What every gate process and submitter of a deployment shares in Redis, besides the deferred
// store: the intake counts (with reservations), the tenant buckets, and the configuration the
// admitting gate runs with (so submitters apply the same bounds and the same deferral classes).
// One hash tag per namespace, so every script runs on Redis Cluster.
import { randomUUID } from 'node:crypto';
import { useRedis, type RedisClient } from '../../framework/redis/index.ts';
import { parseGateConfig, type GateConfig } from '../gate-config.ts';
import { PRIORITIES, type Priority } from '../gate-item.ts';
import { noOverrun, RESERVATION_LEASE_MS, verdict, type IntakeCounts } from '../intake-counts.ts';
import { quotaOf, type QuotaConfig, type TenantQuotaStore } from '../tenant-quotas.ts';
import { CANCEL, COMMIT, QUOTAS, RELEASE, RESERVE, SEED } from './redis-intake-scripts.ts';

export interface RedisGateSharedOptions {
  /** One node (`redis://host:port`) or a Redis Cluster (comma-separated seeds), or a client to borrow. */
  url: string | RedisClient;
  /** The deployment namespace (the deferred store's `name`). */
  name?: string;
  /** How long a reservation holds room for a submitter that has not confirmed its push. */
  leaseMs?: number;
}

export interface RedisGateShared {
  counts: IntakeCounts;
  quotas(cfg: QuotaConfig): TenantQuotaStore;
  /** The admitting gate's configuration, for its submitters. */
  publishConfig(cfg: GateConfig): Promise<void>;
  /** What a gate published, if any. */
  loadConfig(): Promise<GateConfig | undefined>;
  close(): Promise<void>;
}

type Script = (keys: string[], args: (string | number)[]) => Promise<(string | number | null)[]>;

export function createRedisGateShared(opts: RedisGateSharedOptions): RedisGateShared {
  const { client: redis, release } = useRedis(opts.url, { maxRetriesPerRequest: 3 });
  const tag = `{quarry:gate:${opts.name ?? 'default'}}`;
  const intakeKeys = [`${tag}:intake`, `${tag}:intake:leases`, `${tag}:intake:reserved`];
  const leaseMs = opts.leaseMs ?? RESERVATION_LEASE_MS;
  const script = (name: string, lua: string): Script => {
    redis.defineCommand(name, { lua });
    const fn = (redis as unknown as Record<string, (n: number, ...a: (string | number)[]) => Promise<(string | number | null)[]>>)[name]!.bind(redis);
    return (keys, args) => fn(keys.length, ...keys, ...args);
  };
  const reserveCmd = script('quarryIntakeReserve', RESERVE);
  const commitCmd = script('quarryIntakeCommit', COMMIT);
  const cancelCmd = script('quarryIntakeCancel', CANCEL);
  const releaseCmd = script('quarryIntakeRelease', RELEASE);
  const seedCmd = script('quarryIntakeSeed', SEED);
  const quotasCmd = script('quarryTenantQuotas', QUOTAS);

  let perClass: Record<Priority, number> = { high: 0, normal: 0, low: 0 };
  const seen = (raw: (string | number | null)[]) => {
    perClass = { high: Number(raw[0] ?? 0), normal: Number(raw[1] ?? 0), low: Number(raw[2] ?? 0) };
  };
  const json = (groups: readonly { priority: Priority; tenant: string; n: number }[]) => JSON.stringify(groups.map((g) => [g.priority, g.tenant, g.n]));

  const counts: IntakeCounts = {
    async reserve(groups, limits) {
      const id = randomUUID();
      const raw = await reserveCmd(intakeKeys, [id, leaseMs, limits.maxPerClass, limits.maxPerTenant, json(groups)]);
      const over = noOverrun();
      const rate: Record<Priority, number> = { high: 0, normal: 0, low: 0 };
      PRIORITIES.forEach((p, i) => {
        const at = 1 + i * 5;
        over[p] = { cls: Number(raw[at]), tenant: Number(raw[at + 1]), tenantName: String(raw[at + 2] ?? '') };
        rate[p] = Number(raw[at + 3]);
        perClass[p] = Number(raw[at + 4]);
      });
      if (Number(raw[0]) === 1) return { reserved: id };
      return verdict(over, rate, limits) ?? { full: 'the intake is full', retryAfterMs: limits.minRetryAfterMs };
    },
    async commit(id) { await commitCmd(intakeKeys, [id]); },
    async cancel(id) { seen(await cancelCmd(intakeKeys, [id])); },
    async release(groups) { if (groups.length > 0) seen(await releaseCmd(intakeKeys, [json(groups)])); },
    async seed(sizes) { seen(await seedCmd(intakeKeys, [sizes.high, sizes.normal, sizes.low])); },
    perClass: () => ({ ...perClass }),
    async close() {},
  };

  const quotas = (cfg: QuotaConfig): TenantQuotaStore => {
    const call = async (entries: [string, number][]): Promise<Map<string, number>> => {
      const out = new Map<string, number>();
      const asked: string[] = [];
      const args: (string | number)[] = [];
      for (const [tenant, n] of entries) {
        const q = quotaOf(cfg, tenant);
        if (!q) { out.set(tenant, Infinity); continue; }
        asked.push(tenant);
        args.push(tenant, q.ratePerSec, q.burst, n);
      }
      if (asked.length > 0) {
        const raw = await quotasCmd([`${tag}:quotas`], args);
        asked.forEach((t, i) => out.set(t, Math.floor(Number(raw[i]))));
      }
      return out;
    };
    return {
      available: (tenants) => call(tenants.map((t) => [t, 0])),
      async spend(spent) { await call([...spent]); },
    };
  };

  return {
    counts,
    quotas,
    async publishConfig(cfg) { await redis.set(`${tag}:config`, JSON.stringify(cfg)); },
    async loadConfig() {
      const raw = await redis.get(`${tag}:config`);
      return raw ? parseGateConfig(JSON.parse(raw)) : undefined;
    },
    async close() { await release(); },
  };
}
