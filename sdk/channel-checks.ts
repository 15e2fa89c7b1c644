// The authenticated-channel checks every SDK's service must pass: mTLS plus a bearer token; a
// client without the right certificate or token, or speaking plaintext, is refused.
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { checkOperatorService, createContractClient, grpcCode, type ChannelOptions } from '../framework/operator-conformance/index.ts';
import type { OperatorProcess, TestCerts } from './test-support.ts';

export const TOKEN = 'polyglot-sesame';

export function serverTlsFlags(c: TestCerts): string[] {
  return ['--tls-cert', c.serverCert, '--tls-key', c.serverKey, '--tls-client-ca', c.ca, '--token', TOKEN];
}

async function refusal(address: string, options: ChannelOptions): Promise<{ code: number | undefined; message: string }> {
  const client = createContractClient(address, options);
  try {
    await client.health();
    return { code: status.OK, message: 'answered' };
  } catch (err) {
    return { code: grpcCode(err), message: (err as Error).message };
  } finally {
    client.close();
  }
}

export async function assertAuthenticatedChannel(svc: OperatorProcess, certs: TestCerts, operator: string): Promise<void> {
  assert.equal(svc.summary.tls, true, 'the service says it serves TLS');
  const good: ChannelOptions = { tlsCa: certs.ca, tlsCert: certs.clientCert, tlsKey: certs.clientKey, token: TOKEN };
  const results = await checkOperatorService(svc.address, { ...good, operator });
  assert.deepEqual(results.filter((r) => r.status === 'fail').map((r) => `${r.clause}: ${r.detail}`), []);
  assert.equal(results.find((r) => r.clause === 'token')?.status, 'pass');

  const plaintext = await refusal(svc.address, {});
  assert.equal(plaintext.code, status.UNAVAILABLE, `plaintext: ${plaintext.message}`);
  const noCert = await refusal(svc.address, { tlsCa: certs.ca, token: TOKEN });
  assert.equal(noCert.code, status.UNAVAILABLE, `no client certificate: ${noCert.message}`);
  const rogue = await refusal(svc.address, { tlsCa: certs.ca, tlsCert: certs.rogueCert, tlsKey: certs.rogueKey, token: TOKEN });
  assert.equal(rogue.code, status.UNAVAILABLE, `untrusted client certificate: ${rogue.message}`);
  const noToken = await refusal(svc.address, { tlsCa: certs.ca, tlsCert: certs.clientCert, tlsKey: certs.clientKey });
  assert.equal(noToken.code, status.UNAUTHENTICATED, noToken.message);
  assert.match(noToken.message, /bearer token/);
}
