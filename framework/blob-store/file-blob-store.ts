// Blobs as files, the embedded default that survives a restart. Refs are `file:${key}`.
//
// A key maps to `${dir}/${shard}/${name}`: `name` is the key percent-encoded (so `/` and `..`
// can never leave the directory; keys whose segments are `.` or `..` are refused outright so a
// mistake is loud), `shard` the first byte of its SHA-256 (256 folders keep listings short).
// Writes go to `${dir}/.tmp/` and are renamed into place, so a reader never sees half a blob
// and a retried put of the same key simply replaces it. A blob put with a TTL is stored under
// `~<key>` with its expiry as its mtime; a sweep (at open, then every `sweepEveryMs`) deletes
// those whose time has come. A kept blob's mtime is when it was last put: `deleteIdle` leaves
// the ones put within its window. At open, what a dead process left in `.tmp/` is cleared, and
// a blob it had moved aside to delete is put back.
import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, readdir, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { BlobStore } from './blob-store.ts';
import { ConfigError, QuarryError, describeValue } from '../errors/index.ts';
import { checkBytes, checkIdleMs, checkKey, keyOfRef } from './internal/refs.ts';

export interface FileBlobStoreOptions {
  /** Folder holding the blobs; created when missing. */
  dir: string;
  /** fsync each blob before renaming it into place (survives power loss, not just a restart). */
  fsync?: boolean;
  /** How often expired blobs are swept. Default 10 minutes. */
  sweepEveryMs?: number;
  /** At open, what is left in `.tmp/` this long (by ctime) is a dead process's. Default 1 minute; 0: all of it. */
  strayAfterMs?: number;
  now?: () => number;
}

const PREFIX = 'file:';
const TMP = '.tmp';
/** File names of expiring blobs start with the encoded `~`. */
const EXPIRING = '%7E';
/** A blob moved aside by `deleteIdle`: `deleting!<shard>!<name>!<uuid>` (`!` is never in a name). */
const ASIDE = 'deleting';
const ASIDE_SEP = '!';

export function createFileBlobStore(options: FileBlobStoreOptions): BlobStore {
  const dir = options?.dir;
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new ConfigError([{ field: 'dir', expected: 'a non-empty path', received: dir }], 'file blob store options');
  }
  const made = mkdir(join(dir, TMP), { recursive: true });
  const pathOf = (key: string): { folder: string; path: string } => {
    checkSafeKey(key);
    const hash = createHash('sha256').update(key).digest('hex');
    let name = encodeURIComponent(key).replace(/[~*'()!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    // Names stay under the 255-byte file name limit; `~` never appears in an encoded key.
    if (name.length > 200) name = `${name.slice(0, 100)}~${hash}`;
    const folder = join(dir, hash.slice(0, 2));
    return { folder, path: join(folder, name) };
  };
  const pathOfRef = (ref: string) => pathOf(keyOfRef(ref, PREFIX, 'file blob store'));
  const now = options.now ?? Date.now;
  const shards = async (): Promise<string[]> => (await readdir(dir).catch(() => [] as string[])).filter((s) => /^[0-9a-f]{2}$/.test(s));
  const sweep = async (): Promise<void> => {
    const at = now();
    for (const shard of await shards()) {
      for (const name of await readdir(join(dir, shard)).catch(() => [] as string[])) {
        if (!name.startsWith(EXPIRING)) continue;
        const info = await stat(join(dir, shard, name)).catch(() => null);
        if (info && info.mtimeMs <= at) await unlink(join(dir, shard, name)).catch(() => undefined);
      }
    }
  };
  // Left in .tmp by a process that died: a put's temp file (dropped), or a blob moved aside by
  // `deleteIdle` before its check (put back: the sweep that moved it still holds its orphan
  // record, so the next one decides again). Only those `strayAfterMs` old: another process using
  // the folder may be in the middle of one.
  const recover = async (): Promise<void> => {
    const at = Date.now();
    const after = options.strayAfterMs ?? 60_000;
    for (const name of await readdir(join(dir, TMP)).catch(() => [] as string[])) {
      const path = join(dir, TMP, name);
      const info = await stat(path).catch(() => null);
      // 0 takes everything: a file's ctime can read a fraction of a millisecond past `Date.now()`.
      if (!info || (after > 0 && at - info.ctimeMs < after)) continue;
      const [tag, shard, blob] = name.split(ASIDE_SEP);
      if (tag === ASIDE && shard && blob) {
        await mkdir(join(dir, shard), { recursive: true });
        await link(path, join(dir, shard, blob)).catch(() => undefined); // EEXIST: a later put is in place
      }
      await unlinkIfThere(path);
    }
  };
  // Every operation waits for the folder and for what a dead process left to be put right.
  const ready = made.then(recover);
  ready.catch(() => {}); // surfaced by the first operation, not as an unhandled rejection
  let sweeping = ready.then(sweep).catch(() => undefined);
  const timer = setInterval(() => {
    sweeping = sweeping.then(sweep).catch(() => undefined);
  }, options.sweepEveryMs ?? 600_000);
  timer.unref();

  return {
    async put(rawKey, bytes, opts = {}) {
      checkKey(rawKey);
      checkBytes(bytes);
      const key = opts.ttlMs !== undefined ? `~${rawKey}` : rawKey;
      const { folder, path } = pathOf(key);
      await ready;
      await mkdir(folder, { recursive: true });
      const temp = join(dir, TMP, randomUUID());
      try {
        if (options.fsync) {
          const handle = await open(temp, 'w');
          try {
            await handle.writeFile(bytes);
            await handle.sync();
          } finally {
            await handle.close();
          }
        } else {
          await writeFile(temp, bytes);
        }
        await rename(temp, path);
        if (opts.ttlMs !== undefined) await utimes(path, new Date(now()), new Date(now() + opts.ttlMs));
      } catch (err) {
        await rm(temp, { force: true });
        throw err;
      }
      return PREFIX + key;
    },
    async get(ref) {
      const { path } = pathOfRef(ref);
      await ready;
      try {
        const data = await readFile(path);
        return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async delete(refs) {
      const paths = refs.map((ref) => pathOfRef(ref).path);
      await ready;
      for (const path of paths) await unlinkIfThere(path);
    },
    async deleteIdle(refs, idleMs) {
      checkIdleMs(idleMs);
      const targets = refs.map((ref) => ({ ref, expiring: keyOfRef(ref, PREFIX, 'file blob store').startsWith('~'), path: pathOfRef(ref).path }));
      await ready;
      const kept: string[] = [];
      const leased = (info: { mtimeMs: number } | null): boolean => info !== null && now() - info.mtimeMs < idleMs;
      for (const { ref, expiring, path } of targets) {
        if (expiring) {
          await unlinkIfThere(path);
          continue;
        }
        if (leased(await stat(path).catch(() => null))) {
          kept.push(ref);
          continue;
        }
        // Moved aside first, so the check and the delete are one step: a put landing after the
        // move makes a new file in its place, one that landed before the move shows in the moved
        // file's mtime, and is put back (unless a later put has already taken its place).
        const aside = join(dir, TMP, [ASIDE, basename(dirname(path)), basename(path), randomUUID()].join(ASIDE_SEP));
        const moved = await rename(path, aside).then(() => true, (err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') return false;
          throw err;
        });
        if (!moved) continue;
        if (leased(await stat(aside))) {
          await link(aside, path).catch((err: NodeJS.ErrnoException) => {
            if (err.code !== 'EEXIST') throw err;
          });
          kept.push(ref);
        }
        await unlinkIfThere(aside);
      }
      return kept;
    },
    async stats() {
      await ready;
      let blobs = 0;
      let bytes = 0;
      for (const shard of await shards()) {
        for (const name of await readdir(join(dir, shard))) {
          const info = await stat(join(dir, shard, name)).catch(() => null);
          if (info?.isFile()) {
            blobs += 1;
            bytes += info.size;
          }
        }
      }
      return { blobs, bytes };
    },
    async close() {
      clearInterval(timer);
      await sweeping;
    },
  };
}

async function unlinkIfThere(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

function checkSafeKey(key: string): void {
  if (key.includes('\0') || key.split(/[/\\]/).some((segment) => segment === '.' || segment === '..')) {
    throw new QuarryError('BLOB_BAD_KEY', `Blob key ${describeValue(key)} is not allowed: it contains a \`.\`/\`..\` path segment or a NUL byte`);
  }
}
