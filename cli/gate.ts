// The flow-control gate of a Quarry process, built from its BackendConfig: the one place that
// picks the gate's durable stores (Kafka backlogs and the Redis deferred store in a deployment,
// LMDB when embedded) and builds the admission every composition root passes to the runtime.
import { join } from 'node:path';
import {
  createGateAdmission, createGatePolicy, createKafkaBacklog, createLmdbBacklog, createLmdbDeferredStore, createRedisDeferredStore,
  type Backlog, type DeferredStore, type GateAdmission, type GateConfigInput,
} from '../flow-control/index.ts';
import type { BackendConfig } from './config.ts';

/** Where the gate's durable stores live, shared by the gate, its submitters and `quarry gate stats`. */
export const gateStores = {
  lmdbBacklog: (dataDir: string) => join(dataDir, 'gate', 'backlog'),
  lmdbDeferred: (dataDir: string) => join(dataDir, 'gate', 'deferred'),
  kafka: (namespace: string) => ({ topicPrefix: `quarry.gate.${namespace}`, groupId: `quarry.gate.${namespace}` }),
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
  close(): Promise<void>;
}

/** The gate as this process's admission (start it by passing it to the runtime, or `admission.start`). */
export async function openGate(config: BackendConfig, options: { consume: boolean; gate?: GateConfigInput; log?: (line: string) => void }): Promise<ProcessGate> {
  const stores = await openGateStores(config, options);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const admission = createGateAdmission({
    backlog: stores.backlog,
    deferred: stores.deferred,
    policy: createGatePolicy(options.gate ?? {}),
    onError: (err) => log(`quarry gate: ${(err as Error).message}`),
    onRefused: (itemKey, reason) => log(`quarry gate: ${itemKey} refused at the ingress: ${reason}`),
  });
  return {
    admission,
    async close() {
      await admission.stop();
      await stores.close();
    },
  };
}
