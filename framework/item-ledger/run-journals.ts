// A journal for every run: an embedded run (`quarry crawl`, `quarry run`) keeps its item ledger on
// disk, one LMDB journal per run under the data directory, so `quarry trace` still answers once
// the process is gone. Each run starts a journal of its own because its coordination cannot
// outlive its in-process bus, and a new run must not find the last run's items in its way: a
// page crawled an hour ago is crawled again, not skipped as a duplicate. Reading goes over every
// run, newest first; runs whose records have all expired are removed when a new one starts.
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { QuarryError } from '../errors/index.ts';
import type { SideCache } from '../side-cache/index.ts';
import type { ItemLedger, ItemRecord, ItemRef } from './item-ledger.ts';
import { openJournalReader, type JournalReader } from './internal/journal-reader.ts';
import { lockHolder } from './internal/lmdb-journal.ts';
import { checkRef, checkRetention } from './internal/ledger-input.ts';
import { emptyCounts } from './internal/item-record.ts';
import { createLmdbItemLedger } from './lmdb-item-ledger.ts';

export interface RunJournalOptions {
  /** The directory of every run's journal (`<data dir>/journal`). */
  dir: string;
  /** The memory side-cache this run's tuples live in. */
  sideCache: SideCache;
  now?: () => number;
  /** How long ended records stay queryable (default 7 days); older runs are removed after it. */
  retentionMs?: number;
}

export interface RunJournal extends ItemLedger {
  /** This run's journal (created by the run's first write: a process that runs nothing leaves none). */
  readonly path: string;
}

export interface RunInfo {
  path: string;
  startedMs: number;
  pid: number;
  /** Its process is still writing it. */
  running: boolean;
}

export interface JournalHit {
  record: ItemRecord;
  run: RunInfo;
}

export interface RunJournals {
  readonly dir: string;
  /** Newest first. */
  readonly runs: readonly RunInfo[];
  /** The latest record of this key in this DAG (and tenant), from the newest run that has one. */
  findByKey(dag: string, itemKey: string, tenant?: string): JournalHit | null;
  /** The latest record of every key, each from the newest run that knows it. */
  latest(): Iterable<JournalHit>;
  close(): Promise<void>;
}

const RUN = /^(\d{8}T\d{9}Z)-p(\d+)-(\d+)$/;
let runsHere = 0;

function runName(startedMs: number): string {
  return `${new Date(startedMs).toISOString().replace(/[-:.]/g, '')}-p${process.pid}-${runsHere++}`;
}

function runsIn(dir: string): RunInfo[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const m = RUN.exec(name);
    if (!m) return [];
    const t = m[1]!;
    const startedMs = Date.parse(`${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(9, 11)}:${t.slice(11, 13)}:${t.slice(13, 15)}.${t.slice(15, 18)}Z`);
    const path = join(dir, name);
    return [{ run: { path, startedMs, pid: Number(m[2]), running: lockHolder(path) !== undefined }, seq: Number(m[3]) }];
  }).sort((a, b) => b.run.startedMs - a.run.startedMs || b.seq - a.seq).map(({ run }) => run);
}

/** Remove the runs nobody writes whose last write is older than the retention. */
function prune(dir: string, retentionMs: number): void {
  for (const run of runsIn(dir)) {
    if (run.running) continue;
    const data = join(run.path, 'data.mdb');
    const lastWriteMs = statSync(existsSync(data) ? data : run.path).mtimeMs;
    if (lastWriteMs + retentionMs < Date.now()) rmSync(run.path, { recursive: true, force: true });
  }
}

export function createRunJournal(options: RunJournalOptions): RunJournal {
  const retentionMs = checkRetention(options.retentionMs);
  const path = join(options.dir, runName(Date.now()));
  let ledger: ItemLedger | undefined;
  const opened = (): ItemLedger => {
    if (ledger) return ledger;
    prune(options.dir, retentionMs);
    return (ledger = createLmdbItemLedger({ path, sideCache: options.sideCache, retentionMs, ...(options.now ? { now: options.now } : {}) }));
  };
  const known = <T>(ref: ItemRef, answer: (l: ItemLedger) => Promise<T>, none: T): Promise<T> => {
    checkRef(ref);
    return ledger ? answer(ledger) : Promise.resolve(none);
  };
  return {
    path,
    open: (items) => opened().open(items),
    claim: (claims, lease) => opened().claim(claims, lease),
    commit: (steps) => opened().commit(steps),
    redrive: (items) => opened().redrive(items),
    markPoison: (fingerprints, detail) => opened().markPoison(fingerprints, detail),
    isPoison: async (fingerprints) => (ledger ? ledger.isPoison(fingerprints) : fingerprints.map(() => false)),
    get: (ref) => known(ref, (l) => l.get(ref), null),
    findByKey: async (dag, itemKey, tenant) => (ledger ? ledger.findByKey(dag, itemKey, tenant) : null),
    counts: async (dag) => (ledger ? ledger.counts(dag) : emptyCounts()),
    stalled: async (dag, o) => (ledger ? ledger.stalled(dag, o) : []),
    inFlight: async (dag, limit) => (ledger ? ledger.inFlight(dag, limit) : []),
    close: async () => ledger?.close(),
  };
}

/** Every run's journal under `dir`, for reading (while runs write them, too). */
export function readRunJournals(dir: string, options: { now?: () => number } = {}): RunJournals {
  const runs = runsIn(dir);
  if (runs.length === 0) {
    throw new QuarryError('JOURNAL_MISSING', `No journal at \`${dir}\`: no embedded run has used this data directory (a crawl with --data DIR keeps its journal in DIR/journal)`);
  }
  const now = options.now ?? Date.now;
  const readers = new Map<RunInfo, JournalReader>();
  const readerOf = (run: RunInfo): JournalReader | undefined => {
    if (!readers.has(run)) {
      if (!existsSync(join(run.path, 'data.mdb'))) return undefined;
      readers.set(run, openJournalReader(run.path, now));
    }
    return readers.get(run);
  };
  return {
    dir,
    runs,
    findByKey(dag, itemKey, tenant) {
      for (const run of runs) {
        const record = readerOf(run)?.findByKey(dag, itemKey, tenant);
        if (record) return { record, run };
      }
      return null;
    },
    *latest() {
      const seen = new Set<string>();
      for (const run of runs) {
        for (const record of readerOf(run)?.latest() ?? []) {
          const id = `${record.dag}\u0000${record.tenant ?? 'default'}\u0000${record.itemKey}`;
          if (seen.has(id)) continue;
          seen.add(id);
          yield { record, run };
        }
      }
    },
    async close() {
      await Promise.all([...readers.values()].map((r) => r.close()));
    },
  };
}
