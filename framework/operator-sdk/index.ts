/**
 * The operator SDK: an operator is a plain async function with declared fields.
 *
 *   export const createUpper = () => defineOperator({
 *     name: 'upper', version: '1.0.0',
 *     inputs: { text: z.string() }, outputs: { upper: z.string() },
 *     async handler({ text }) { return { upper: text.toUpperCase() }; },
 *   });
 *   await serveOperators([createUpper()], { port: 50051 });
 */
export * from './define-operator.ts';
export { serveOperators, type ServeOptions, type OperatorServer } from './serve.ts';
export { invokeOperator, invokeBatch, describeOperator, errorToResponse, type InvokeOptions } from './invoke.ts';
