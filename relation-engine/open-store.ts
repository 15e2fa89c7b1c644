// Opens a store from a spec string, the form the CLI and composition roots take:
//   embedded:<dir>                       LMDB under <dir>
//   cassandra:<host:port>[,<host:port>]/<keyspace>[?dc=<dc>]
import { ConfigError } from '../framework/errors/index.ts';
import { openLmdbStore } from './internal/lmdb-store.ts';
import { openCassandraStore, type CassandraStoreOptions } from './internal/cassandra-store.ts';
import type { RelationStore } from './relation-store.ts';

export type StoreSpec =
  | { kind: 'embedded'; path: string }
  | { kind: 'cassandra'; contactPoints: string[]; keyspace: string; localDataCenter: string };

export function parseStoreSpec(spec: string): StoreSpec {
  const embedded = /^embedded:(.+)$/.exec(spec);
  if (embedded?.[1]) return { kind: 'embedded', path: embedded[1] };
  const cass = /^cassandra:([^/]+)\/([a-z_][a-z0-9_]{0,47})(?:\?dc=([\w-]+))?$/.exec(spec);
  if (cass?.[1] && cass[2]) {
    return { kind: 'cassandra', contactPoints: cass[1].split(','), keyspace: cass[2], localDataCenter: cass[3] ?? 'datacenter1' };
  }
  throw new ConfigError([{
    field: 'store', expected: '`embedded:<dir>` or `cassandra:<host:port>/<keyspace>[?dc=<dc>]`', received: spec,
  }], 'relation store');
}

export async function openRelationStore(
  spec: string | StoreSpec, extra: Partial<Omit<CassandraStoreOptions, 'contactPoints' | 'keyspace'>> = {},
): Promise<RelationStore> {
  const s = typeof spec === 'string' ? parseStoreSpec(spec) : spec;
  if (s.kind === 'embedded') return openLmdbStore({ path: s.path, ...(extra.buckets ? { buckets: extra.buckets } : {}) });
  return openCassandraStore({ ...extra, contactPoints: s.contactPoints, keyspace: s.keyspace, localDataCenter: s.localDataCenter });
}
