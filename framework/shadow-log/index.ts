/**
 * The shadow log: what a node's shadow traffic found — per field agreement and a bounded sample
 * of disagreements — in memory for the embedded runtime, in Redis for a deployment, where every
 * miner records and `quarry shadow report` reads.
 *
 *   const log = createRedisShadowLog({ redis: 'redis://127.0.0.1:6379', namespace: 'quarry' });
 *   const { shadows, samples } = await log.report('ocr-ingest', 'ocr', { samples: 10 });
 */
export { DEFAULT_SAMPLES_KEPT, disagrees, type FieldDifference, type ShadowLog, type ShadowOutcome, type ShadowReport, type ShadowSample, type ShadowTally } from './shadow-log.ts';
export { createMemoryShadowLog } from './memory-shadow-log.ts';
export { createRedisShadowLog, type RedisShadowLogOptions } from './redis-shadow-log.ts';
