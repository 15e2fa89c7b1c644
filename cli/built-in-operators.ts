// The built-in operators wired to their dependencies: the composition root for operator
// services (`quarry operator`) and for the embedded `quarry crawl`.
import type { OperatorDefinition } from '../framework/operator-sdk/index.ts';
import { createImageExtractOperator } from '../operators/image-extract/index.ts';
import { createImageFeatureOperator } from '../operators/image-feature/index.ts';
import { createImageSpiderOperator } from '../operators/image-spider/index.ts';
import { createIndexBuilderOperator, openIndexStore, type IndexStore } from '../operators/index-builder/index.ts';
import { createOcrOperator, createPaddleOcrEngine, type OcrEngine } from '../operators/ocr/index.ts';
import { createPageSpiderOperator } from '../operators/page-spider/index.ts';
import { createPoliteness, createRedisHostLimiter, DEFAULT_USER_AGENT, safeFetch, type PolitenessOptions } from '../operators/net/index.ts';
import { createRedisClient } from '../framework/redis/index.ts';
import { createRelationWriterOperators } from '../operators/relation-writer/index.ts';
import { createRelationEngine, openRelationStore, type RelationEngine, type RelationStore } from '../relation-engine/index.ts';

export const BUILT_IN_OPERATORS = ['page-spider', 'image-extract', 'image-spider', 'image-feature', 'ocr', 'index-builder', 'relation-page', 'relation-link', 'relation-content', 'relation-ocr'] as const;

export interface BuiltInDeps {
  relations: string;
  index: string;
  /** CIDRs the spiders may reach despite the SSRF guard (the demo: loopback). */
  allowPrivate: readonly string[];
  /** Per-host politeness shared by both spiders (robots.txt, concurrency, delay). */
  politeness?: Pick<PolitenessOptions, 'hostConcurrency' | 'hostDelayMs' | 'robots' | 'maxWaitMs'>;
  /** The longest one fetch may take (default 15 s); a host that exceeds it gets a quarter for a while. */
  fetchBudgetMs?: number;
  /** A Redis URL: the spiders' per-host limits are shared with every process given the same one (a deployment's). */
  hostLimits?: string;
  /** Open a Cassandra relation store on first use, retrying while unreachable (operator services). */
  lazyRelations?: boolean;
}

export interface BuiltInOperators {
  operators: OperatorDefinition[];
  engine: RelationEngine;
  indexStore: IndexStore;
  close(): Promise<void>;
}

export async function createBuiltInOperators(deps: BuiltInDeps, only?: readonly string[]): Promise<BuiltInOperators> {
  // A bad URL fails here, before any store opens. A slot is leased for a few whole fetch
  // budgets: a process that dies holding one frees it then.
  const limitsRedis = deps.hostLimits === undefined ? undefined : createRedisClient(deps.hostLimits, { maxRetriesPerRequest: 2 });
  const store: RelationStore = await openRelationStore(deps.relations, deps.lazyRelations ? { lazy: true } : {});
  const engine = createRelationEngine({ store });
  const indexStore = openIndexStore(deps.index);
  let ocrEngine: OcrEngine | undefined;
  const want = (name: string) => !only || only.includes(name);
  const timeouts = { connectMs: 5_000, readMs: 10_000 };
  const politeness = createPoliteness({
    ...deps.politeness, userAgent: DEFAULT_USER_AGENT,
    ...(limitsRedis ? { limiter: createRedisHostLimiter({ redis: limitsRedis, leaseMs: 4 * (deps.fetchBudgetMs ?? 15_000) }) } : {}),
    fetch: (url, o) => safeFetch(url, { allowPrivate: deps.allowPrivate, connectTimeoutMs: timeouts.connectMs, readTimeoutMs: timeouts.readMs, totalTimeoutMs: 15_000, ...o }),
  });
  const pageState = {
    validators: (url: string) => engine.pageValidators(url),
    unchanged: (url: string, checkedAtMs: number, v: { etag?: string; lastModified?: string }) => engine.recordVisits([{ kind: 'page', url, changed: false, checkedAtMs, ...v }]),
    gone: async (url: string, checkedAtMs: number) => void (await engine.deletePage(url, { goneAtMs: checkedAtMs })),
  };
  const operators: OperatorDefinition[] = [];
  const budget = deps.fetchBudgetMs === undefined ? {} : { totalTimeoutMs: deps.fetchBudgetMs };
  if (want('page-spider')) operators.push(createPageSpiderOperator({ allowPrivate: deps.allowPrivate, timeouts, pageState, politeness, ...budget }) as unknown as OperatorDefinition);
  if (want('image-extract')) operators.push(createImageExtractOperator({}) as unknown as OperatorDefinition);
  if (want('image-spider')) operators.push(createImageSpiderOperator({ allowPrivate: deps.allowPrivate, maxBytes: 8 << 20, maxPixels: 40_000_000, timeouts, politeness, ...budget, knownContent: { hasFeatures: (sign) => engine.contentHasFeatures(sign), validators: (url) => engine.linkValidators(url) } }) as unknown as OperatorDefinition);
  if (want('image-feature')) operators.push(createImageFeatureOperator() as unknown as OperatorDefinition);
  if (want('ocr')) {
    ocrEngine = createPaddleOcrEngine();
    operators.push(createOcrOperator({ engine: ocrEngine }) as unknown as OperatorDefinition);
  }
  if (want('index-builder')) operators.push(createIndexBuilderOperator({ store: indexStore }) as unknown as OperatorDefinition);
  for (const op of createRelationWriterOperators({ engine }).all as unknown as OperatorDefinition[]) if (want(op.name)) operators.push(op);
  return {
    operators,
    engine,
    indexStore,
    async close() {
      await ocrEngine?.close();
      await limitsRedis?.quit().catch(() => undefined);
      await indexStore.close();
      await store.close();
    },
  };
}
