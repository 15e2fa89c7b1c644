/**
 * Quarry's framework, as a pipeline author and an operator team use it: the DAG API, the
 * operator SDK, the runtime, and the adapters a deployment picks (Kafka, Redis). Components
 * inside the project import the sub-folder they need (`framework/<part>/index.ts`); test kits
 * live behind `framework/testing/index.ts`.
 *
 *   const dag = defineDag({ name: 'greet', source: ['name'] }, [
 *     { id: 'greet', operator: 'greet', reads: ['name'], writes: ['message'] },
 *   ]);
 *   const rt = await startRuntime({ dags: [dag], operators: [greetOperator] });
 */
export { QuarryError, NonRetryableError, RetryLaterError, FilteredError, ConfigError } from './errors/index.ts';
export { defineDag, compileDag, loadDagFile, type DagSpec, type DagPlan, type NodeSpec } from './dag/index.ts';
export {
  blob, blobRef, defineOperator, serveOperators,
  type OperatorDefinition, type OperatorContext, type OperatorSpec, type BatchItem, type BatchContext, type ChildItem, type TriggerInfo, type OperatorServer, type ServeOptions,
} from './operator-sdk/index.ts';
export { startRuntime, type Runtime, type RuntimeOptions } from './runtime/index.ts';
export { admitAll, type Admission, type NewItem, type SubmitResult, type Priority } from './admission/index.ts';
export { createKafkaBus, createEmbeddedBus, type TriggerBus } from './bus/index.ts';
export { createRedisSideCache, createMemorySideCache, type SideCache } from './side-cache/index.ts';
export { createRedisBlobStore, createFileBlobStore, createMemoryBlobStore, type BlobStore } from './blob-store/index.ts';
export { createRedisItemLedger, createMemoryItemLedger, type ItemLedger, type ItemRecord } from './item-ledger/index.ts';
export { startMetricsServer } from './telemetry/index.ts';
