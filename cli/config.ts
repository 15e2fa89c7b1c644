// Configuration of a Quarry process, from flags and environment, parsed once at the edge into a
// compiled value; inner code trusts it. Every problem is listed in one ConfigError.
import { ConfigError, type ConfigProblem } from '../framework/errors/index.ts';

export interface BackendConfig {
  /** Kafka brokers; empty = the embedded in-process bus. */
  kafkaBrokers: string[];
  /** Redis URL for side-cache, blob store and item ledger; empty = embedded in memory/files. */
  redisUrl: string;
  /** Relation store: `embedded:<dir>` or `cassandra:<host:port>/<keyspace>`. */
  relations: string;
  /** Index store: `embedded:<dir>` or `redis:<url>`. */
  index: string;
  /** Where embedded state lives. */
  dataDir: string;
  /** Namespace for Redis keys and Kafka consumer groups. */
  namespace: string;
}

export interface RawBackendOptions {
  kafka?: string;
  redis?: string;
  relations?: string;
  index?: string;
  data?: string;
  namespace?: string;
}

const env = (name: string): string | undefined => process.env[name] || undefined;

export function parseBackendConfig(raw: RawBackendOptions): BackendConfig {
  const problems: ConfigProblem[] = [];
  const dataDir = raw.data ?? env('QUARRY_DATA_DIR') ?? '.quarry';
  const kafka = raw.kafka ?? env('QUARRY_KAFKA_BROKERS') ?? '';
  const kafkaBrokers = kafka ? kafka.split(',').map((s) => s.trim()).filter(Boolean) : [];
  for (const b of kafkaBrokers) if (!/^[\w.-]+:\d{1,5}$/.test(b)) problems.push({ field: 'kafka', expected: 'a comma-separated list of host:port', received: b });
  const redisUrl = raw.redis ?? env('QUARRY_REDIS_URL') ?? '';
  if (redisUrl && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) problems.push({ field: 'redis', expected: 'a redis:// URL', received: redisUrl });
  const relations = raw.relations ?? env('QUARRY_RELATIONS') ?? `embedded:${dataDir}/relations`;
  if (!/^(embedded:.+|cassandra:[\w.-]+(:\d+)?\/\w+)$/.test(relations)) problems.push({ field: 'relations', expected: '`embedded:<dir>` or `cassandra:<host:port>/<keyspace>`', received: relations });
  const index = raw.index ?? env('QUARRY_INDEX') ?? `embedded:${dataDir}/index`;
  if (!/^(embedded:.+|redis:.+)$/.test(index)) problems.push({ field: 'index', expected: '`embedded:<dir>` or `redis:<url>`', received: index });
  const namespace = raw.namespace ?? env('QUARRY_NAMESPACE') ?? 'quarry';
  if (!/^[a-z][a-z0-9-]{0,40}$/.test(namespace)) problems.push({ field: 'namespace', expected: 'lower-case letters, digits and -', received: namespace });
  if (problems.length > 0) throw new ConfigError(problems);
  return { kafkaBrokers, redisUrl, relations, index, dataDir, namespace };
}

export function parsePositiveInt(field: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError([{ field, expected: 'an integer ≥ 0', received: value }]);
  return n;
}
