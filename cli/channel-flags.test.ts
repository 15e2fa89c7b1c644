// The channel flags end to end: `quarry run --operators` reaches an operator over mTLS with a
// token given by flags and by QUARRY_OPERATOR_TOKEN, and fails at start naming the endpoint and
// the cause without them (and so does `quarry miner`); `quarry operator` takes its TLS files from the Python and Go SDKs'
// variables (QUARRY_TLS_CERT, QUARRY_TLS_KEY, QUARRY_TLS_CLIENT_CA) and then refuses plaintext.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { createOperatorClient } from '../framework/operator-client/index.ts';
import { z } from 'zod';
import { defineOperator, serveOperators, type OperatorServer } from '../framework/operator-sdk/index.ts';
import { makeTestCerts, type TestCerts } from '../framework/wire/testing/index.ts';

const TOKEN = 'cli-sesame';

/** The README's greet and shout operators (the DAG examples/greet/greet-dag.ts runs them). */
const greet = defineOperator({
  name: 'greet', version: '1.0.0', inputs: { name: z.string() }, outputs: { message: z.string() },
  async handler({ name }) {
    return { message: `Hello, ${name}!` };
  },
});
const shout = defineOperator({
  name: 'shout', version: '1.0.0', inputs: { message: z.string() }, outputs: { loud: z.string() },
  async handler({ message }) {
    return { loud: message.toUpperCase() };
  },
});

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

const quarry = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Outcome> =>
  promisify(execFile)(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { env: { ...process.env, QUARRY_OPERATOR_TOKEN: '', ...env }, maxBuffer: 16 << 20 }).then(
    (r) => ({ ...r, code: 0 }),
    (err: Outcome) => err,
  );

describe('channel flags of the quarry commands', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quarry-channel-flags-'));
  let certs: TestCerts;
  let secure: OperatorServer;
  before(async () => {
    certs = makeTestCerts(dir);
    secure = await serveOperators([greet, shout], { port: 0, tlsCert: certs.serverCert, tlsKey: certs.serverKey, tlsClientCa: certs.ca, token: TOKEN });
  });
  after(async () => {
    await secure?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (flags: string[], env: NodeJS.ProcessEnv = {}) =>
    quarry(['run', 'examples/greet/greet-dag.ts', '--source', 'name=Ada', '--operators', secure.address, '--data', join(dir, 'data'), '--timeout', '60', ...flags], env);
  const mtls = () => ['--tls-ca', certs.ca, '--tls-cert', certs.clientCert, '--tls-key', certs.clientKey];

  it('quarry run --operators over mTLS with --token, or with QUARRY_OPERATOR_TOKEN', async () => {
    for (const [flags, env] of [[[...mtls(), '--token', TOKEN], {}], [mtls(), { QUARRY_OPERATOR_TOKEN: TOKEN }]] as const) {
      const out = await run([...flags], env);
      assert.equal(out.code, 0, out.stderr);
      assert.deepEqual(JSON.parse(out.stdout.trim()), { dag: 'greet', itemKey: 'Ada', state: 'completed', kept: { loud: '"HELLO, ADA!"' } }, 'kept fields are JSON');
    }
  });

  it('quarry run fails at start, naming the endpoint and the cause, without the token or the certificates', async () => {
    const cases: [string, string[], RegExp][] = [
      ['no token', mtls(), /it refused the call \(missing or wrong bearer token .*\): it requires a bearer token: give --token \(or QUARRY_OPERATOR_TOKEN\)/],
      ['a wrong token', [...mtls(), '--token', 'guess'], /the token this client sends .* is not the one it requires/],
      ['plaintext', ['--token', TOKEN], /it serves TLS and this client connects in plaintext: give --tls-ca/],
      ['no client certificate', ['--tls-ca', certs.ca, '--token', TOKEN], /it requires a client certificate \(mTLS\): give --tls-cert and --tls-key/],
      ['a certificate of another CA', ['--tls-ca', certs.ca, '--tls-cert', certs.rogueCert, '--tls-key', certs.rogueKey, '--token', TOKEN], /it does not accept this client certificate/],
    ];
    for (const [what, flags, cause] of cases) {
      const out = await run(flags);
      assert.equal(out.code, 1, `${what}: ${out.stdout}`);
      assert.match(out.stderr, new RegExp(`operator ${secure.address.replace(/\./g, '\\.')}: `), what);
      assert.match(out.stderr, cause, what);
    }
  });

  it('quarry miner takes the same flags: its start fails naming the endpoint and the cause', async () => {
    const backend = ['--kafka', process.env.QUARRY_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092', '--redis', process.env.QUARRY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6390', '--namespace', `chflags${process.pid}`];
    // With the certificates, the cause left is the token (QUARRY_OPERATOR_TOKEN): both were read.
    const out = await quarry(['miner', 'examples/greet/greet-dag.ts', '--operators', secure.address, ...backend, ...mtls()], { QUARRY_OPERATOR_TOKEN: 'guess' });
    assert.equal(out.code, 1, out.stdout);
    assert.match(out.stderr, new RegExp(`\\[OPERATOR_AUTH_FAILED\\] operator ${secure.address.replace(/\./g, '\\.')}: it refused the call .*: the token this client sends \\(--token or QUARRY_OPERATOR_TOKEN\\) is not the one it requires`));
  });

  it('quarry operator serves mTLS from QUARRY_TLS_CERT, QUARRY_TLS_KEY and QUARRY_TLS_CLIENT_CA', async () => {
    const env = { ...process.env, QUARRY_TLS_CERT: certs.serverCert, QUARRY_TLS_KEY: certs.serverKey, QUARRY_TLS_CLIENT_CA: certs.ca, QUARRY_OPERATOR_TOKEN: TOKEN };
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'operator', 'image-extract', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`quarry operator exited with ${code}`)));
      });
      const summary = JSON.parse(line) as { listening: string; tls: boolean; token: boolean };
      assert.deepEqual([summary.tls, summary.token], [true, true]);
      const good = createOperatorClient({ endpoints: [summary.listening], security: { tlsCa: certs.ca, tlsCert: certs.clientCert, tlsKey: certs.clientKey, token: TOKEN } });
      const plain = createOperatorClient({ endpoints: [summary.listening], security: { token: TOKEN } });
      try {
        assert.deepEqual((await good.describe()).map((d) => d.name), ['image-extract']);
        await assert.rejects(plain.describe(), /it serves TLS and this client connects in plaintext/);
      } finally {
        good.close();
        plain.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('quarry operator refuses a TLS file it cannot use before serving, naming it', async () => {
    const out = await quarry(['operator', 'image-extract', '--port', '0', '--tls-cert', certs.serverCert, '--tls-key', certs.clientKey]);
    assert.equal(out.code, 1, out.stdout);
    assert.match(out.stderr, /--tls-key .*client\.key is not the key of --tls-cert .*server\.pem/);
  });
});
