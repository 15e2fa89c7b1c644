/**
 * The operator conformance kit: runs the operator contract (proto/quarry.proto) against any
 * running `quarry.v1.Operator` service, whatever its language, and says clause by clause what
 * holds. `quarry operator check <host:port>` is its command line.
 *
 *   const results = await checkOperatorService('127.0.0.1:50051', { operator: 'ocr', token });
 *   for (const r of results) console.log(formatResult(r));   // PASS  ocr  deadlines  …
 */
export { checkOperatorService, formatResult, summarise, CLAUSES, type ClauseId, type ClauseResult, type CheckOptions } from './run.ts';
export { createContractClient, operatorContract, grpcCode, type ContractClient, type ChannelOptions, type WireAnswer, type WireDescription, type WireItem } from './wire-client.ts';
export type { FixedSample } from './samples.ts';
