import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Server, ServerCredentials, credentials, makeGenericClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { useRedisTestServer } from '../../framework/testing/index.ts';
import { instrumentGrpcServers, instrumentRedis, takeCounters } from './instrument.ts';

const redis = useRedisTestServer('bench-instrument');

describe('bench instrumentation', () => {
  it('counts a standalone command as one round trip and a pipeline or MULTI as one for all its commands', async () => {
    instrumentRedis();
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    const key = `${redis.namespace()}:k`;
    try {
      await client.ping();
      takeCounters();
      await client.set(key, '1');
      await client.get(key);
      const p = client.pipeline();
      for (let i = 0; i < 10; i++) p.incr(key);
      await p.exec();
      await client.multi().incr(key).incr(key).exec();
      const c = takeCounters();
      assert.equal(c.redisRoundTrips, 2 + 1 + 1);
      // multi + 2 incr + exec are 4 commands on the wire.
      assert.equal(c.redisCommands, 2 + 10 + 4);
      assert.equal(c.redisByCommand.incr, 12);
      assert.equal(await client.get(key), '13');
    } finally {
      await client.del(key);
      client.disconnect();
    }
  });

  it('counts the calls every gRPC server of the process handles, by method', async () => {
    instrumentGrpcServers();
    const raw = { requestStream: false, responseStream: false, requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b };
    const def: ServiceDefinition = { echo: { path: '/bench.Test/Echo', ...raw }, health: { path: '/bench.Test/Health', ...raw } };
    const server = new Server();
    server.addService(def, {
      echo: (call: { request: Buffer }, cb: (e: null, r: Buffer) => void) => cb(null, call.request),
      health: (_call: unknown, cb: (e: null, r: Buffer) => void) => cb(null, Buffer.alloc(0)),
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
    const Client = makeGenericClientConstructor(def, 'Test');
    const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as Record<'echo' | 'health', (req: Buffer, cb: (err: Error | null, res?: Buffer) => void) => void>;
    const call = (m: 'echo' | 'health') => new Promise<Buffer | undefined>((resolve, reject) => client[m](Buffer.from('x'), (err, res) => (err ? reject(err) : resolve(res))));
    try {
      takeCounters();
      await call('echo');
      await call('echo');
      await call('health');
      assert.deepEqual(takeCounters().grpcByMethod, { echo: 2, health: 1 });
    } finally {
      (client as unknown as { close(): void }).close();
      server.forceShutdown();
    }
  });
});
