/**
 * The admission port: the way into every DAG. The flow-control gate implements it; `admitAll()`
 * is the no-gate default.
 *
 *   const rt = await startRuntime({ dags, operators, admission: gate });   // gate.start(...) is called for you
 *   await rt.submit([{ dag: 'page-ingest', itemKey: url, source: { url }, priority: 'high' }]);
 */
export * from './admission.ts';
