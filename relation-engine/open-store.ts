// Opens a store from a spec string, the form the CLI and composition roots take:
//   embedded:<dir>[?buckets=<n>]                              LMDB under <dir>
//   cassandra:<host:port>[,<host:port>]/<keyspace>[?dc=<dc>][&buckets=<n>]
// `buckets` applies when the store is created; an existing store keeps the count it was made with.
import { ConfigError } from '../framework/errors/index.ts';
import { openLmdbStore } from './internal/lmdb-store.ts';
import { CASSANDRA_MAX_KEY_BYTES, cassandraKeyBytes, openCassandraStore, type CassandraStoreOptions } from './internal/cassandra-store.ts';
import { lazyStore } from './internal/lazy-store.ts';
import type { RelationStore } from './relation-store.ts';

export type StoreSpec =
  | { kind: 'embedded'; path: string; buckets?: number }
  | { kind: 'cassandra'; contactPoints: string[]; keyspace: string; localDataCenter: string; buckets?: number };

export interface OpenStoreOptions extends Partial<Omit<CassandraStoreOptions, 'contactPoints' | 'keyspace'>> {
  /** Fail with STORE_MISSING (naming the path) instead of creating a store that does not exist. */
  mustExist?: boolean;
  /** Cassandra: open on first use and keep retrying while unreachable (a writer that outlives an outage). */
  lazy?: boolean;
}

function params(query: string | undefined): Map<string, string> {
  return new Map((query ?? '').split('&').filter(Boolean).map((kv) => kv.split('=') as [string, string]));
}

export function parseStoreSpec(spec: string): StoreSpec {
  const bad = (expected: string, received: unknown = spec) => new ConfigError([{ field: 'store', expected, received }], 'relation store');
  const buckets = (p: Map<string, string>): { buckets?: number } => {
    const raw = p.get('buckets');
    if (raw === undefined) return {};
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw bad('`buckets` to be an integer ≥ 1', raw);
    return { buckets: n };
  };
  const embedded = /^embedded:([^?]+)(?:\?(.*))?$/.exec(spec);
  if (embedded?.[1]) return { kind: 'embedded', path: embedded[1], ...buckets(params(embedded[2])) };
  const cass = /^cassandra:([^/]+)\/([a-z_][a-z0-9_]{0,47})(?:\?(.*))?$/.exec(spec);
  if (cass?.[1] && cass[2]) {
    const p = params(cass[3]);
    return { kind: 'cassandra', contactPoints: cass[1].split(','), keyspace: cass[2], localDataCenter: p.get('dc') ?? 'datacenter1', ...buckets(p) };
  }
  throw bad('`embedded:<dir>` or `cassandra:<host:port>/<keyspace>[?dc=<dc>]`');
}

export async function openRelationStore(spec: string | StoreSpec, extra: OpenStoreOptions = {}): Promise<RelationStore> {
  const s = typeof spec === 'string' ? parseStoreSpec(spec) : spec;
  const { lazy, ...rest } = extra;
  const buckets = rest.buckets ?? s.buckets;
  if (s.kind === 'embedded') {
    return openLmdbStore({ path: s.path, ...(buckets ? { buckets } : {}), ...(rest.mustExist ? { mustExist: true } : {}) });
  }
  const options = { ...rest, ...(buckets ? { buckets } : {}), contactPoints: s.contactPoints, keyspace: s.keyspace, localDataCenter: s.localDataCenter };
  return lazy ? lazyStore(() => openCassandraStore(options), 'cassandra', CASSANDRA_MAX_KEY_BYTES, cassandraKeyBytes) : openCassandraStore(options);
}
