// The two URL forms a user may give for Redis:
//   redis://[user:pass@]host:port[/db]               one node (rediss:// for TLS)
//   redis://host1:port1,redis://host2:port2[,…]      a Redis Cluster, by two or more seed nodes
// A cluster has only database 0, so its seeds carry no /db; credentials and TLS must be the
// same on every seed (the cluster client uses one set for every node it discovers).
import { ConfigError } from '../errors/index.ts';

export type RedisTarget =
  | { kind: 'node'; url: string }
  | { kind: 'cluster'; seeds: { host: string; port: number }[]; username?: string; password?: string; tls: boolean };

const EXPECTED_NODE = 'a `redis://host:port[/db]` URL, or two or more comma-separated `redis://host:port` seeds of a Redis Cluster';

export function parseRedisUrl(text: string, field = 'redis'): RedisTarget {
  const problem = (expected: string, received: unknown = text) => new ConfigError([{ field, expected, received }], 'Redis URL');
  if (typeof text !== 'string' || text.trim() === '') throw problem(EXPECTED_NODE);
  const parts = text.split(',').map((s) => s.trim());
  const urls = parts.map((part) => {
    let url: URL;
    try {
      url = new URL(part);
    } catch {
      throw problem(EXPECTED_NODE, part);
    }
    if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') throw problem(EXPECTED_NODE, part);
    return url;
  });
  if (urls.length === 1) return { kind: 'node', url: parts[0]! };
  const first = urls[0]!;
  const seeds = urls.map((url, i) => {
    if (url.pathname !== '' && url.pathname !== '/' && url.pathname !== '/0') {
      throw problem('a Redis Cluster seed without a database (a cluster has only database 0)', parts[i]);
    }
    if (url.search !== '') throw problem('a Redis Cluster seed without query options', parts[i]);
    if (url.protocol !== first.protocol || url.username !== first.username || url.password !== first.password) {
      throw problem('Redis Cluster seeds that share one scheme and one set of credentials', parts[i]);
    }
    const port = url.port === '' ? 6379 : Number(url.port);
    return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
  });
  return {
    kind: 'cluster',
    seeds,
    ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
    ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
    tls: first.protocol === 'rediss:',
  };
}

/** The URL without its password, for logs and `describe()` lines. */
export function redactRedisUrl(text: string): string {
  return text.replace(/(rediss?:\/\/[^:@/,]*:)[^@/,]*@/g, '$1***@');
}
