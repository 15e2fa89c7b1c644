// The LMDB environment under an LMDB item ledger: its tables, the one-writer lock, and the
// write path. A ledger call changes its in-memory state synchronously and stages the matching
// writes here; `commit()` applies everything staged since the last one in ONE LMDB transaction
// and resolves once it is committed, after every earlier one (lmdb-js commits in order). Until
// then a staged value is read back from the stage, so a later call never sees the disk behind
// the memory. A failed commit fails the journal: memory would be ahead of the disk, so every
// later call throws instead of answering from a state that may not survive.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { QuarryError, errorMessage } from '../../errors/index.ts';
import type { ItemState } from '../item-ledger.ts';
import type { ExpiryKey, Key, StoredEnded, StoredKey, StoredLive } from './journal-codec.ts';

export const LOCK_FILE = 'writer.pid';

export interface JournalTables {
  live: Database<StoredLive, Key>;
  ended: Database<StoredEnded, Key>;
  keys: Database<StoredKey, Key>;
  poison: Database<number, Key>;
  counts: Database<Record<ItemState, number>, string>;
  expiry: Database<true, ExpiryKey>;
}

export function openTables(path: string, readOnly: boolean): { root: RootDatabase; tables: JournalTables } {
  const root = open({ path, maxDbs: 8, compression: false, ...(readOnly ? { readOnly: true } : {}) });
  // Read-only, lmdb-js opens the tables without creating them.
  const db = <V, K extends Key | ExpiryKey | string>(name: string) => root.openDB<V, K>({ name });
  return {
    root,
    tables: {
      live: db('live'), ended: db('ended'), keys: db('keys'), poison: db('poison'), counts: db('counts'), expiry: db('expiry'),
    },
  };
}

/** The pid holding the journal's writer lock, if that process is alive. */
export function lockHolder(path: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(path, LOCK_FILE), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/** One writer per journal: its state in memory is the truth, a second one would overwrite it. */
function takeLock(path: string): () => void {
  const file = join(path, LOCK_FILE);
  const holder = lockHolder(path);
  if (holder !== undefined) {
    throw new QuarryError('JOURNAL_LOCKED', `The journal at \`${path}\` is being written by process ${holder}; one process writes a journal at a time (read it with \`quarry trace\`)`);
  }
  rmSync(file, { force: true }); // a dead writer's lock
  const fd = openSync(file, 'wx');
  writeSync(fd, String(process.pid));
  closeSync(fd);
  return () => rmSync(file, { force: true });
}

interface Box<V> { value: V | undefined }

/** A table read through what is staged for it and not yet committed. */
export class StagedTable<V> {
  private readonly staged = new Map<string, Box<V>>();
  constructor(private readonly journal: Journal, private readonly db: Database<V, Key>) {}

  get(key: Key): V | undefined {
    const box = this.staged.get(key.join('\u0000'));
    return box ? box.value : this.db.get(key);
  }

  set(key: Key, value: V | undefined): void {
    const id = key.join('\u0000');
    const box: Box<V> = { value };
    this.staged.set(id, box);
    this.journal.stage(
      () => void (value === undefined ? this.db.remove(key) : this.db.put(key, value)),
      () => {
        if (this.staged.get(id) === box) this.staged.delete(id);
      },
    );
  }
}

export class Journal {
  readonly root: RootDatabase;
  readonly tables: JournalTables;
  private writes: (() => void)[] = [];
  private settles: (() => void)[] = [];
  private tail: Promise<void> = Promise.resolve();
  private failure: QuarryError | undefined;
  private closed = false;
  private readonly unlock: () => void;

  constructor(readonly path: string) {
    ({ root: this.root, tables: this.tables } = openTables(path, false));
    try {
      this.unlock = takeLock(path);
    } catch (err) {
      void this.root.close();
      throw err;
    }
  }

  stage(write: () => void, settle?: () => void): void {
    this.writes.push(write);
    if (settle) this.settles.push(settle);
  }

  put<V, K extends Key | ExpiryKey | string>(db: Database<V, K>, key: K, value: V): void {
    this.stage(() => void db.put(key, value));
  }

  remove<K extends Key | ExpiryKey | string>(db: Database<unknown, K>, key: K): void {
    this.stage(() => void db.remove(key));
  }

  check(): void {
    if (this.failure) throw this.failure;
  }

  /** Commit what was staged since the last call; resolves once it and every earlier commit are on disk. */
  async commit(): Promise<void> {
    this.check();
    const writes = this.writes;
    const settles = this.settles;
    if (writes.length > 0) {
      this.writes = [];
      this.settles = [];
      const committed = this.root.batch(() => {
        for (const write of writes) write();
      });
      this.tail = committed.then(
        () => settles.forEach((s) => s()),
        (err: unknown) => {
          this.failure ??= new QuarryError('JOURNAL_WRITE_FAILED', `The journal at \`${this.path}\` could not be written: ${errorMessage(err)}`, { cause: err });
        },
      );
    }
    await this.tail;
    this.check();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    this.failure ??= new QuarryError('JOURNAL_CLOSED', `The journal at \`${this.path}\` is closed`);
    await this.root.close();
    this.unlock();
  }
}
