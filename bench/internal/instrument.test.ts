import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { serveOperators, defineOperator } from '../../framework/operator-sdk/index.ts';
import { createOperatorClient } from '../../framework/operator-client/index.ts';
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
    const op = defineOperator({ name: 'bench-count', version: '1', inputs: { x: z.string() }, outputs: { y: z.string() }, async handler({ x }) { return { y: x }; } });
    const server = await serveOperators([op], { port: 0 });
    const client = createOperatorClient({ endpoints: [server.address] });
    try {
      takeCounters();
      await client.describe({ timeoutMs: 5_000 });
      const c = takeCounters();
      assert.equal(c.grpcByMethod.describe, 1);
      assert.equal(c.grpcByMethod.echo, undefined);
    } finally {
      client.close();
      await server.close();
    }
  });
});
