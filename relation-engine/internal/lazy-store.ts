// A store that opens on first use and keeps trying while its server is unreachable: a relation
// writer started during an outage answers "unavailable" (and its items back off) instead of
// failing to start. Every call waits for the open; a failed open is retried by the next call.
import { QuarryError } from '../../framework/errors/index.ts';
import type { RelationStore } from '../relation-store.ts';

export class StoreUnavailableError extends QuarryError {
  constructor(kind: string, cause: unknown) {
    super('STORE_UNAVAILABLE', `The ${kind} relation store is unreachable: ${(cause as Error)?.message ?? String(cause)}`, { retryable: true, cause });
    this.name = 'StoreUnavailableError';
  }
}

export function lazyStore(open: () => Promise<RelationStore>, kind: string, maxKeyBytes: number, keyBytes: RelationStore['keyBytes']): RelationStore {
  let store: RelationStore | undefined;
  let opening: Promise<RelationStore> | undefined;
  let closed = false;
  const ready = async (): Promise<RelationStore> => {
    if (store) return store;
    if (closed) throw new QuarryError('STORE_CLOSED', `The ${kind} relation store is closed`);
    opening ??= open().then(
      (s) => (store = s),
      (err: unknown) => {
        opening = undefined;
        throw new StoreUnavailableError(kind, err);
      },
    );
    return opening;
  };
  const call = <K extends keyof RelationStore>(name: K) =>
    (async (...args: unknown[]) => ((await ready())[name] as (...a: unknown[]) => Promise<unknown>)(...args)) as RelationStore[K];
  const iter = <K extends 'scanContents' | 'scanEdges' | 'scanPageVertices' | 'scanLinkVertices'>(name: K) =>
    (async function* (...args: unknown[]) {
      yield* ((await ready())[name] as (...a: unknown[]) => AsyncIterable<unknown>)(...args);
    }) as unknown as RelationStore[K];
  return {
    kind,
    maxKeyBytes,
    keyBytes,
    get buckets(): number {
      if (!store) throw new StoreUnavailableError(kind, new Error('not connected yet'));
      return store.buckets;
    },
    readPage: call('readPage'), readPageVertex: call('readPageVertex'), readLink: call('readLink'), readLinkVertex: call('readLinkVertex'),
    readContent: call('readContent'), readContentVertex: call('readContentVertex'), readPages: call('readPages'),
    readPageVertices: call('readPageVertices'), readLinks: call('readLinks'), readContentVertices: call('readContentVertices'),
    apply: call('apply'), remove: call('remove'), readJournal: call('readJournal'), readCounts: call('readCounts'),
    readVisits: call('readVisits'), readDue: call('readDue'), readBlobRefs: call('readBlobRefs'), readBlobOrphans: call('readBlobOrphans'),
    scanContents: iter('scanContents'), scanEdges: iter('scanEdges'), scanPageVertices: iter('scanPageVertices'), scanLinkVertices: iter('scanLinkVertices'),
    async close() {
      closed = true;
      const s = store ?? (await opening?.catch(() => undefined));
      if (s) await s.close();
    },
  };
}
