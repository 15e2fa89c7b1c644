/**
 * Test kit of the conformance kit: a contract-correct operator service with one clause broken on
 * request, to show each clause can fail.
 *
 *   const svc = await startReferenceService({ breaks: 'deadlines' });
 *   const results = await checkOperatorService(svc.address);   // `deadlines` fails
 */
export { startReferenceService, type ReferenceService, type ReferenceServiceOptions } from './reference-service.ts';
