/**
 * The miner's client to remote operators: load balancing, deadlines, retries on another
 * instance, circuit breaking, backpressure, and routing interceptors. Channels are plaintext or
 * TLS (mTLS) with a bearer token (`security`); `explainRefusal` names why a channel was refused.
 *
 *   const ocr = createOperatorClient({
 *     endpoints: ['10.0.0.5:50051', '10.0.0.6:50051'],
 *     interceptors: [tenantPools({ vip: vipPool.echo }), shadow(ocrV2.echo, record)],
 *   });
 *   const res = await ocr.echo({ request, deadline: Date.now() + 5_000 });
 */
export * from './operator-client.ts';
export * from './routing.ts';
export { CircuitBreaker, type CircuitState } from './circuit-breaker.ts';
export { explainRefusal } from './internal/explain-refusal.ts';
