/**
 * The flow-control gate: the entry to every DAG and deferred edge. Durable per-priority
 * backlogs, an adaptive in-flight window driven by backpressure signals, bounded priority
 * for high, aged weighted shares for normal/low, per-tenant quotas, and off-peak deferral
 * of gpu work.
 *
 *   const gate = createGate({
 *     backlog: createMemoryBacklog(), deferred: createMemoryDeferredStore(),
 *     policy: createGatePolicy({ deferral: { windows: [{ cron: '0 1 * * *', durationMs: 5 * 3600_000 }] } }),
 *     admit: async (items) => bus.produce(items.map(toTrigger)),
 *     signals: async () => miner.admissionSignals(),
 *   });
 *   await gate.start();
 *   const r = await gate.submit([{ id, dag: 'image-ingest', itemKey, priority: 'high', tenant: 'a',
 *                                  resource: 'cpu', source: { url } }]);
 *   if ('rejected' in r) retryIn(r.retryAfterMs);
 */
export { PRIORITIES, isPriority, encodeGateItem, decodeGateItem, type GateItem, type Priority, type ResourceClass } from './gate-item.ts';
export type { Backlog } from './backlog.ts';
export type { DeferredStore } from './deferred-store.ts';
export { totalLag, maxLag, type AdmissionSignals } from './signals.ts';
export { gateConfigSchema, parseGateConfig, type GateConfig, type GateConfigInput } from './gate-config.ts';
export { createAdmissionPolicy, type AdmissionPolicy, type AdmissionDecision } from './admission-policy.ts';
export { createClassScheduler, LANES, type Lane, type PerLane, type ClassScheduler } from './class-scheduler.ts';
export { createTenantQuotas, memoryQuotaStore, type TenantQuotas, type TenantQuotaStore } from './tenant-quotas.ts';
export { createMemoryIntakeCounts, type IntakeCounts, type Reservation } from './intake-counts.ts';
export { createDeferralRule, type DeferralRule, type DeferralMode } from './deferral-rule.ts';
export { createGatePolicy, type GatePolicy } from './gate-policy.ts';
export { createGate, type Gate, type GateOptions, type GateStats } from './gate.ts';
export { createGateAdmission, toGateItem, toNewItem, type GateAdmission, type GateAdmissionOptions } from './gate-admission.ts';
export type { SubmitItem, SubmitResult } from './intake.ts';
export { registerGateMetrics } from './gate-metrics.ts';
export { createFakeClock, realSchedule, type FakeClock, type Schedule } from './fake-clock.ts';
export { createMemoryBacklog, createMemoryBacklogStore } from './internal/memory-backlog.ts';
export { createMemoryDeferredStore, createMemoryDeferredStoreState } from './internal/memory-deferred-store.ts';
export { createLmdbBacklog } from './internal/lmdb-backlog.ts';
export { createLmdbDeferredStore } from './internal/lmdb-deferred-store.ts';
export { createKafkaBacklog, type KafkaBacklogOptions } from './internal/kafka-backlog.ts';
export { createRedisDeferredStore, type RedisDeferredStoreOptions } from './internal/redis-deferred-store.ts';
export { createRedisGateShared, type RedisGateShared, type RedisGateSharedOptions } from './internal/redis-gate-shared.ts';
export { backlogContract, pullUntil, contractItem, type BacklogHarness } from './backlog-contract.ts';
export { deferredStoreContract, type DeferredStoreHarness } from './deferred-store-contract.ts';
export { createWorkerPool, type WorkerPoolOptions } from './testing-worker-pool.ts';
export { runSimulation, SIM_CLASSES, type SimulationOptions, type SimulationResult } from './simulate/run-simulation.ts';
export { diurnalTrace, readTraceFile, defaultTraceOptions, type Arrival, type DiurnalTraceOptions } from './simulate/trace.ts';
export { createCapacityModel, defaultCapacity, type CapacityModelOptions } from './simulate/capacity-model.ts';
export { formatSimulationReport } from './simulate/report.ts';
