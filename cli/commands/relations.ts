// `quarry relations …`: query, export, count and retire the relation graph.
//   quarry relations images http://site/page            images of a page, with their contents
//   quarry relations sources <sign>                     which links and pages a content came from
//   quarry relations link http://site/a.jpg             a link's state and content
//   quarry relations export --out graph.jsonl [--threads n]  every content with its relation (ordered)
//   quarry relations pages | dead-links                 the live pages; the dead image links and why
//   quarry relations refused [--data dir | --kafka b]   refused and dead-lettered URLs, full reasons
//   quarry relations counts [--exact] | retire [--limit n] [--grace ms] [--follow ms] [--index-store spec]
//                                              [--blobs embedded:<dir> | redis:<url> [--namespace ns]]
// --store embedded:<dir> | cassandra:<host:port>/<keyspace>  (default embedded:.quarry/relations);
// a store that does not exist is an error naming it (queries never create one).
import { createWriteStream, existsSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import { createFileBlobStore, createRedisBlobStore, type BlobStore } from '../../framework/blob-store/index.ts';
import { ConfigError, QuarryError } from '../../framework/errors/index.ts';
import { openIndexStore } from '../../operators/index-builder/index.ts';
import { parseBackendConfig } from '../config.ts';
import { createRelationEngine, openRelationStore, type RelationEngine } from '../../relation-engine/index.ts';
import { registerRefusedCommand } from './relations-refused.ts';

const DEFAULT_STORE = 'embedded:.quarry/relations';

async function withEngine(cmd: Command, work: (engine: RelationEngine) => Promise<unknown>): Promise<void> {
  const { store } = cmd.optsWithGlobals<{ store: string }>();
  const engine = createRelationEngine({ store: await openRelationStore(store, { mustExist: true }) });
  try {
    const result = await work(engine);
    if (result !== undefined) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await engine.close();
  }
}

function intAtLeast(flag: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`Expected \`${flag}\` to be an integer ≥ ${min}, got \`${v}\``);
    return n;
  };
}

/** `--blobs`: an embedded run's file blobs (`<data>/blobs`, which must exist) or a deployment's Redis. */
function openBlobs(spec: string, namespace: string): BlobStore {
  if (spec.startsWith('embedded:') && spec.length > 'embedded:'.length) {
    const dir = spec.slice('embedded:'.length);
    if (!existsSync(dir)) throw new QuarryError('STORE_MISSING', `No blob store at \`${dir}\` (${spec}): check the path (an embedded run keeps its blobs in <data>/blobs)`);
    return createFileBlobStore({ dir });
  }
  if (spec.startsWith('redis:') && /^rediss?:\/\/./.test(spec.slice('redis:'.length))) {
    return createRedisBlobStore({ redis: spec.slice('redis:'.length), namespace: parseBackendConfig({ namespace }).namespace });
  }
  throw new ConfigError([{ field: 'blobs', expected: '`embedded:<dir>` or `redis:redis://host:port[,…]`', received: spec }], 'blob store');
}

function notFound(what: string): never {
  throw Object.assign(new Error(`${what} is not in the relation graph`), { code: 'NOT_FOUND' });
}

export function registerRelationsCommand(program: Command): void {
  const rel = program.command('relations').description('Query and maintain the page–link–content relation graph')
    .option('--store <spec>', 'embedded:<dir> or cassandra:<host:port>/<keyspace>[?dc=<dc>]', DEFAULT_STORE);

  rel.command('images <pageUrl>').description('the image links a page shows now, with their live contents')
    .action(async (url: string, _o: unknown, cmd: Command) => withEngine(cmd, async (e) => (await e.imagesOfPage(url)) ?? notFound(`page ${url}`)));

  rel.command('sources <sign>').description('the links and pages a content came from (attribution)')
    .action(async (sign: string, _o: unknown, cmd: Command) => withEngine(cmd, async (e) => (await e.sourcesOfContent(sign)) ?? notFound(`content ${sign}`)));

  rel.command('link <url>').description('an image link: alive or dead, and the content it serves')
    .action(async (url: string, _o: unknown, cmd: Command) => withEngine(cmd, async (e) => (await e.contentOfLink(url)) ?? notFound(`link ${url}`)));

  rel.command('counts').description('vertices, live edges and stale edge copies awaiting retirement (maintained; --exact recounts by scanning)')
    .option('--exact', 'recount by full scans instead of reading the maintained counts')
    .action(async (o: { exact?: boolean }, cmd: Command) => withEngine(cmd, (e) => e.counts({ exact: o.exact === true })));

  rel.command('pages').description('the live pages (not aliases), one JSON line each')
    .action(async (_o: unknown, cmd: Command) => withEngine(cmd, async (e) => {
      for await (const p of e.pages()) process.stdout.write(`${JSON.stringify(p)}\n`);
      return undefined;
    }));

  rel.command('dead-links').description('the image links recorded dead, with their reasons, one JSON line each')
    .action(async (_o: unknown, cmd: Command) => withEngine(cmd, async (e) => {
      for await (const l of e.deadLinks()) process.stdout.write(`${JSON.stringify(l)}\n`);
      return undefined;
    }));

  registerRefusedCommand(rel);

  rel.command('retire').description('retire what the churn journal says changed (never a live or in-flight edge), and delete the orphaned thumbnails of --blobs')
    .option('--limit <n>', 'process at most n journal entries', intAtLeast('--limit', 1))
    .option('--grace <ms>', 'leave entries younger than this (writes that may be in flight), and thumbnails put again within it', intAtLeast('--grace', 0), 600_000)
    .option('--follow <ms>', 'keep running: retire every <ms> until stopped (a deployment\'s retirement role)', intAtLeast('--follow', 1))
    .option('--index-store <spec>', 'the content index (embedded:<dir> or redis:<url>) that forgets the contents retired here')
    .option('--blobs <spec>', 'the blob store holding the kept thumbnails (embedded:<dir> or redis:<url>); without it, orphaned thumbnails stay recorded for a run that has it')
    .option('--namespace <ns>', 'the Redis namespace of --blobs redis:<url>', 'quarry')
    .action(async (o: { limit?: number; grace: number; follow?: number; indexStore?: string; blobs?: string; namespace: string }, cmd: Command) => withEngine(cmd, async (e) => {
      const blobs = o.blobs === undefined ? undefined : openBlobs(o.blobs, o.namespace);
      const index = o.indexStore === undefined ? undefined : openIndexStore(o.indexStore, { mustExist: true });
      try {
        const options = { graceMs: o.grace, ...(index ? { indexes: [index] } : {}), ...(blobs ? { blobs } : {}) };
        if (o.follow === undefined) return await e.retire({ ...options, ...(o.limit === undefined ? {} : { limit: o.limit }) });
        const retirer = e.startRetirer({ ...options, intervalMs: o.follow, onReport: (r) => process.stdout.write(`${JSON.stringify(r)}\n`), onError: (err) => process.stderr.write(`retire: ${(err as Error).message}\n`) });
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        await retirer.stop();
        return undefined;
      } finally {
        await Promise.all([index?.close(), blobs?.close()]);
      }
    }));

  rel.command('export').description('every content with its links and pages as JSON lines, in scan order')
    .option('--out <file>', 'write to a file instead of stdout')
    .option('--threads <n>', 'embedded stores: read and encode in n worker threads (the same output; worth it for large graphs on several cores)', intAtLeast('--threads', 1), 1)
    .action(async (o: { out?: string; threads: number }, cmd: Command) => withEngine(cmd, async (e) => {
      const out = o.out ? createWriteStream(o.out) : process.stdout;
      const tty = process.stderr.isTTY;
      const report = await e.exportJsonl(out, {
        threads: o.threads,
        onProgress: (p) => {
          const mb = p.bytes / 1e6;
          const line = `exported ${p.contents} contents, ${mb.toFixed(1)} MB, ${(mb / Math.max(p.elapsedMs / 1000, 1e-3)).toFixed(1)} MB/s`;
          process.stderr.write(tty ? `\r${line}` : `${line}\n`);
        },
      });
      if (tty) process.stderr.write('\n');
      if (o.out) {
        out.end();
        await finished(out);
      }
      process.stderr.write(`done: ${report.contents} contents, ${report.bytes} bytes in ${report.elapsedMs} ms, ${report.threads} thread(s)\n`);
      return undefined;
    }));
}
