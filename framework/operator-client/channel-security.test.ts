// The client and the server over mTLS with a bearer token, with certificates made for the test:
// the right ones work; each wrong one is refused with an error naming the endpoint and the cause.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { z } from 'zod';
import { createContractClient, grpcCode } from '../operator-conformance/index.ts';
import { defineOperator, serveOperators, type OperatorServer } from '../operator-sdk/index.ts';
import { BEARER_REFUSED, type ClientChannelSecurity, type EchoRequest } from '../wire/index.ts';
import { makeTestCerts, type TestCerts } from '../wire/testing/index.ts';
import { createOperatorClient } from './index.ts';

const upper = defineOperator({
  name: 'upper', version: '1.0.0',
  inputs: { text: z.string() }, outputs: { upper: z.string() },
  async handler({ text }) {
    return { upper: text.toUpperCase() };
  },
});

const item = (text: string): EchoRequest => ({
  trigger: {
    messageId: 'm1', itemKey: 'k1', dag: 'd', dagVersion: 1, node: 'n', tupleRef: 'd:m1', tupleVersion: 1, priority: 'normal', tenant: 't', attempt: 0, deadlineMs: 0,
    traceparent: '', tracestate: '', parentId: '', fromNode: '', createdMs: 0, source: {}, notBeforeMs: 0,
  },
  operator: 'upper', fields: { text: new TextEncoder().encode(JSON.stringify(text)) }, blobs: {}, deadlineMs: Date.now() + 5_000,
});

async function refusal(endpoint: string, security: ClientChannelSecurity): Promise<{ code?: string; message: string }> {
  const client = createOperatorClient({ endpoints: [endpoint], security });
  try {
    await client.describe({ timeoutMs: 5_000 });
    return { message: 'answered' };
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message };
  } finally {
    client.close();
  }
}

describe('operator channels over mTLS with a bearer token', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-tls-'));
  let certs: TestCerts;
  let secure: OperatorServer;
  let plain: OperatorServer;
  let good: ClientChannelSecurity;
  before(async () => {
    certs = makeTestCerts(dir);
    good = { tlsCa: certs.ca, tlsCert: certs.clientCert, tlsKey: certs.clientKey, token: 'sesame' };
    secure = await serveOperators([upper], { port: 0, tlsCert: certs.serverCert, tlsKey: certs.serverKey, tlsClientCa: certs.ca, token: 'sesame' });
    plain = await serveOperators([upper], { port: 0 });
  });
  after(async () => {
    await Promise.all([secure?.close(), plain?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a client with the right certificates and token', async () => {
    assert.equal(secure.tls, true);
    assert.equal(plain.tls, false);
    const client = createOperatorClient({ endpoints: [secure.address], security: good });
    try {
      assert.deepEqual((await client.describe()).map((d) => d.name), ['upper']);
      const res = await client.echo({ request: item('ada'), deadline: Date.now() + 5_000 });
      assert.equal(res.status, 'OK', res.message);
      assert.equal(new TextDecoder().decode(res.fields.upper), '"ADA"');
    } finally {
      client.close();
    }
  });

  it('refuses each wrong credential with an error naming the endpoint and the cause', async () => {
    const at = secure.address;
    const cases: [string, string, ClientChannelSecurity, RegExp][] = [
      ['no token', at, { ...good, token: undefined }, /it refused the call \(missing or wrong bearer token.*\): it requires a bearer token: give --token/],
      ['a wrong token', at, { ...good, token: 'guess' }, /the token this client sends .* is not the one it requires/],
      ['plaintext', at, { token: 'sesame' }, /it serves TLS and this client connects in plaintext: give --tls-ca/],
      ['no client certificate', at, { tlsCa: certs.ca, token: 'sesame' }, /it requires a client certificate \(mTLS\): give --tls-cert and --tls-key/],
      ['a certificate of another CA', at, { ...good, tlsCert: certs.rogueCert, tlsKey: certs.rogueKey }, /it does not accept this client certificate/],
      ['a CA that did not sign the server', at, { ...good, tlsCa: certs.rogueCa }, /its certificate is not trusted \(.*\): is --tls-ca the CA that signed it\?/],
      ['TLS to a plaintext operator', plain.address, good, /it does not speak TLS \(a plaintext operator\?\)/],
    ];
    for (const [what, endpoint, security, cause] of cases) {
      const r = await refusal(endpoint, security);
      assert.equal(r.code, 'OPERATOR_AUTH_FAILED', `${what}: ${r.message}`);
      assert.ok(r.message.startsWith(`operator ${endpoint}: `), `${what}: ${r.message}`);
      assert.match(r.message, cause, what);
    }
  });

  it('leaves a failure that is not about credentials as it was', async () => {
    const r = await refusal('127.0.0.1:1', good);
    assert.notEqual(r.code, 'OPERATOR_AUTH_FAILED', r.message);
    assert.match(r.message, /ECONNREFUSED/);
  });

  it('answers a call without the token UNAUTHENTICATED, on every method', async () => {
    const client = createContractClient(secure.address, { tlsCa: certs.ca, tlsCert: certs.clientCert, tlsKey: certs.clientKey });
    try {
      for (const call of [() => client.describe(), () => client.health(), () => client.echo({ ...item('x'), operator: 'upper' }), () => client.echoBatch('upper', [item('x')])]) {
        const err = await call().then(() => undefined, (e: unknown) => e);
        assert.equal(grpcCode(err), status.UNAUTHENTICATED);
        assert.match((err as Error).message, new RegExp(BEARER_REFUSED.replace(/[()`…]/g, '.')));
      }
    } finally {
      client.close();
    }
  });

  it('secures each endpoint as told: plaintext to one instance, mTLS to the other', async () => {
    const client = createOperatorClient({ endpoints: [plain.address, secure.address], security: (e) => (e === secure.address ? good : {}) });
    try {
      assert.equal((await client.health()).length, 2);
      const answers = await client.echoBatch({ operator: 'upper', items: Array.from({ length: 32 }, (_, i) => item(`n${i}`)) });
      assert.ok(answers.every((a) => a.status === 'OK'), JSON.stringify(answers.find((a) => a.status !== 'OK')));
    } finally {
      client.close();
    }
  });

  it('refuses unreadable or mismatched certificate files at once, naming the file', async () => {
    assert.throws(() => createOperatorClient({ endpoints: [secure.address], security: { ...good, tlsCa: join(dir, 'missing.pem') } }), /--tls-ca .*missing\.pem: cannot read it \(ENOENT\)/);
    assert.throws(() => createOperatorClient({ endpoints: [secure.address], security: { ...good, tlsKey: certs.rogueKey } }), /--tls-key .*rogue\.key is not the key of --tls-cert .*client\.pem/);
    assert.throws(() => createOperatorClient({ endpoints: [secure.address], security: { tlsCa: certs.ca, tlsKey: certs.clientKey } }), /--tls-key needs --tls-cert/);
    assert.throws(() => createOperatorClient({ endpoints: [secure.address], security: { tlsCa: certs.clientKey } }), /--tls-ca .*client\.key: not a PEM certificate/);
    await assert.rejects(serveOperators([upper], { port: 0, tlsClientCa: certs.ca }), /client certificates \(--tls-client-ca\) need the server's own --tls-cert and --tls-key/);
    await assert.rejects(serveOperators([upper], { port: 0, tlsCert: certs.serverCert }), /--tls-cert needs --tls-key/);
  });
});
