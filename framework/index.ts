/**
 * Quarry's framework: the DAG API and compiler, the operator SDK and client, the miner, the
 * ports (trigger bus, side-cache, blob store, item ledger) with their embedded and real
 * adapters, the embedded runtime, telemetry and the wire contract.
 *
 *   const dag = defineDag({ name: 'greet', source: ['name'] }, [
 *     { id: 'greet', operator: 'greet', reads: ['name'], writes: ['message'] },
 *   ]);
 *   const rt = await startEmbeddedRuntime({ dags: [dag], operators: [greetOperator] });
 */
export * from './errors/index.ts';
export * from './dag/index.ts';
export {
  blob, blobRef, defineOperator, serveOperators, invokeOperator, describeOperator,
  type OperatorDefinition, type OperatorContext, type OperatorSpec, type ChildItem, type TriggerInfo,
  type FieldDecls, type FieldValuesOf, type BlobField, type BlobRefField, type OperatorServer, type ServeOptions,
} from './operator-sdk/index.ts';
export * from './operator-client/index.ts';
export * from './miner/index.ts';
export * from './runtime/index.ts';
export * from './bus/index.ts';
export * from './side-cache/index.ts';
export * from './blob-store/index.ts';
export * from './item-ledger/index.ts';
export * from './telemetry/index.ts';
export * from './wire/index.ts';
