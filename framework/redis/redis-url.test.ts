import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRedisUrl, redactRedisUrl } from './index.ts';

describe('Redis URLs', () => {
  it('one URL is one node, kept as written', () => {
    assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6390/2'), { kind: 'node', url: 'redis://127.0.0.1:6390/2' });
    assert.deepEqual(parseRedisUrl('rediss://u:p@example.org:6380'), { kind: 'node', url: 'rediss://u:p@example.org:6380' });
  });

  it('several comma-separated seeds are a Redis Cluster', () => {
    assert.deepEqual(parseRedisUrl('redis://127.0.0.1:7001, redis://127.0.0.1:7002,redis://[::1]:7003'), {
      kind: 'cluster',
      seeds: [{ host: '127.0.0.1', port: 7001 }, { host: '127.0.0.1', port: 7002 }, { host: '::1', port: 7003 }],
      tls: false,
    });
    assert.deepEqual(parseRedisUrl('rediss://app:s%40cret@a:7001,rediss://app:s%40cret@b'), {
      kind: 'cluster',
      seeds: [{ host: 'a', port: 7001 }, { host: 'b', port: 6379 }],
      username: 'app',
      password: 's@cret',
      tls: true,
    });
  });

  it('rejects what it cannot connect to, naming the bad part', () => {
    assert.throws(() => parseRedisUrl(''), /Expected `redis` to be a `redis:\/\/host:port\[\/db\]` URL, or two or more comma-separated/);
    assert.throws(() => parseRedisUrl('127.0.0.1:6390'), /got `127.0.0.1:6390`/);
    assert.throws(() => parseRedisUrl('redis://a:1,http://b:2'), /got `http:\/\/b:2`/);
    assert.throws(() => parseRedisUrl('redis://a:1,redis://b:2/3'), /Expected `redis` to be a Redis Cluster seed without a database .*got `redis:\/\/b:2\/3`/s);
    assert.throws(() => parseRedisUrl('redis://a:1,rediss://b:2'), /share one scheme and one set of credentials/);
    assert.throws(() => parseRedisUrl('redis://a:1,', 'index'), /Expected `index` to be/);
  });

  it('redacts passwords for logs', () => {
    assert.equal(redactRedisUrl('redis://u:pw@a:1,redis://:pw@b:2'), 'redis://u:***@a:1,redis://:***@b:2');
    assert.equal(redactRedisUrl('redis://a:1'), 'redis://a:1');
  });
});
