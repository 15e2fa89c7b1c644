// The flow-control gate of a Quarry process, built from its BackendConfig: the one place that
// picks the gate's durable stores (Kafka backlogs and the Redis deferred store in a deployment,
// LMDB when embedded) and its shared state, and builds the admission every composition root
// passes to the runtime. In a deployment (Kafka + Redis) the intake counts, the tenant buckets
// and the gate's configuration live in Redis, so every submitter and every gate process applies
// the same bounds; embedded, they are this process's.
import { join } from 'node:path';
import {
  createGateAdmission, createGatePolicy, createKafkaBacklog, createLmdbBacklog, createLmdbDeferredStore, createRedisDeferredStore,
  createRedisGateShared, parseGateConfig, type Backlog, type DeferredStore, type GateAdmission, type GateConfig, type GateConfigInput,
  type IntakeCounts, type TenantQuotaStore,
} from '../flow-control/index.ts';
import type { BackendConfig } from './config.ts';

/** Where the gate's durable stores live, shared by the gate, its submitters and `quarry gate stats`. */
export const gateStores = {
  lmdbBacklog: (dataDir: string) => join(dataDir, 'gate', 'backlog'),
  lmdbDeferred: (dataDir: string) => join(dataDir, 'gate', 'deferred'),
  // Several partitions per class, so several `quarry gate run` processes share the admitting.
  kafka: (namespace: string) => ({ topicPrefix: `quarry.gate.${namespace}`, groupId: `quarry.gate.${namespace}`, partitions: 4 }),
};

export interface GateStores {
  backlog: Backlog;
  deferred: DeferredStore;
  close(): Promise<void>;
}

/**
 * `consume`: this process admits items (it joins the backlog's consumer group); without it, it
 * only submits (a miner's children, `quarry submit`) while a `quarry gate run` process admits.
 */
export async function openGateStores(config: BackendConfig, options: { consume: boolean }): Promise<GateStores> {
  const backlog: Backlog = config.kafkaBrokers.length > 0
    ? await createKafkaBacklog({ brokers: config.kafkaBrokers, ...gateStores.kafka(config.namespace), inspectOnly: !options.consume })
    : createLmdbBacklog({ path: gateStores.lmdbBacklog(config.dataDir) });
  const deferred: DeferredStore = config.redisUrl ? createRedisDeferredStore({ url: config.redisUrl, name: config.namespace }) : createLmdbDeferredStore({ path: gateStores.lmdbDeferred(config.dataDir) });
  return {
    backlog,
    deferred,
    async close() {
      await backlog.close();
      await deferred.close();
    },
  };
}

export interface ProcessGate {
  admission: GateAdmission;
  /** The configuration this process applies (in a deployment, a submitter takes the admitting gate's). */
  config: GateConfig;
  close(): Promise<void>;
}

/** The gate as this process's admission (start it by passing it to the runtime, or `admission.start`). */
export async function openGate(config: BackendConfig, options: { consume: boolean; gate?: GateConfigInput; log?: (line: string) => void }): Promise<ProcessGate> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const deployment = config.kafkaBrokers.length > 0 && config.redisUrl !== '';
  const shared = deployment ? createRedisGateShared({ url: config.redisUrl, name: config.namespace }) : undefined;
  let gateConfig = parseGateConfig(options.gate ?? {});
  let counts: IntakeCounts | undefined;
  let quotas: TenantQuotaStore | undefined;
  if (shared) {
    if (options.consume) await shared.publishConfig(gateConfig);
    else {
      const published = await shared.loadConfig();
      if (published) gateConfig = published;
      else log(`quarry gate: no \`quarry gate run\` has published its configuration in namespace ${config.namespace} yet; this process applies ${options.gate ? 'the given one' : 'the defaults'}`);
    }
    counts = shared.counts;
    quotas = shared.quotas(gateConfig.tenants);
  }
  const stores = await openGateStores(config, options);
  const admission = createGateAdmission({
    backlog: stores.backlog,
    deferred: stores.deferred,
    policy: createGatePolicy(gateConfig),
    ...(counts ? { counts } : {}),
    ...(quotas ? { quotas } : {}),
    onError: (err) => log(`quarry gate: ${(err as Error).message}`),
    onRefused: (itemKey, reason) => log(`quarry gate: ${itemKey} refused at the ingress: ${reason}`),
  });
  return {
    admission,
    config: gateConfig,
    async close() {
      await admission.stop();
      await stores.close();
      await shared?.close();
    },
  };
}
