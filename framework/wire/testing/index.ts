/**
 * Test kit of the wire component: certificates generated for a test (openssl), for TLS and mTLS
 * between operators and their clients.
 *
 *   const certs = makeTestCerts(mkdtempSync(join(tmpdir(), 'certs-')));
 *   await serveOperators(ops, { port: 0, tlsCert: certs.serverCert, tlsKey: certs.serverKey, tlsClientCa: certs.ca });
 */
export { makeTestCerts, type TestCerts } from './test-certs.ts';
