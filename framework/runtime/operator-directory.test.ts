// Discovery over authenticated channels: with the right certificates and token the directory
// finds the operators; an endpoint that refuses them fails the start at once (not after the
// describe timeout), naming the endpoint and the cause, even when another endpoint would do.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { defineOperator, serveOperators, type OperatorServer } from '../operator-sdk/index.ts';
import type { ClientChannelSecurity } from '../wire/index.ts';
import { makeTestCerts } from '../wire/testing/index.ts';
import { discoverOperators } from './index.ts';

const echoName = defineOperator({
  name: 'echo-name', version: '1.0.0', maxBatch: 500,
  inputs: { name: z.string() }, outputs: { name: z.string() },
  async handler({ name }) {
    return { name };
  },
});

describe('discoverOperators over mTLS with a token', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-directory-tls-'));
  let secure: OperatorServer;
  let plain: OperatorServer;
  let good: ClientChannelSecurity;
  before(async () => {
    const certs = makeTestCerts(dir);
    good = { tlsCa: certs.ca, tlsCert: certs.clientCert, tlsKey: certs.clientKey, token: 'sesame' };
    secure = await serveOperators([echoName], { port: 0, capacity: 100, tlsCert: certs.serverCert, tlsKey: certs.serverKey, tlsClientCa: certs.ca, token: 'sesame' });
    plain = await serveOperators([echoName], { port: 0 });
  });
  after(async () => {
    await Promise.all([secure?.close(), plain?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the operators with the right credentials; Describe offers batches that fit the capacity', async () => {
    const directory = await discoverOperators({ endpoints: [secure.address], required: ['echo-name'], security: good });
    try {
      assert.equal(directory.descriptions.get('echo-name')?.maxBatch, 100, 'max_batch 500 offered as the capacity of 100 items');
      assert.deepEqual(directory.unreachable(), []);
    } finally {
      directory.close();
    }
  });

  it('fails at once when an endpoint refuses this miner, naming it, though another endpoint serves the operator', async () => {
    const security = (e: string): ClientChannelSecurity => (e === secure.address ? { ...good, token: 'wrong' } : {});
    await assert.rejects(
      discoverOperators({ endpoints: [plain.address, secure.address], required: ['echo-name'], security, describeTimeoutMs: 60_000 }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'OPERATOR_AUTH_FAILED');
        assert.match(err.message, new RegExp(`^operator ${secure.address}: it refused the call \\(missing or wrong bearer token`));
        return true;
      },
    );
  });

  it('names a plaintext miner of a TLS operator', async () => {
    await assert.rejects(discoverOperators({ endpoints: [secure.address], required: ['echo-name'], describeTimeoutMs: 60_000 }), /^QuarryError: operator .*: it serves TLS and this client connects in plaintext/);
  });
});
