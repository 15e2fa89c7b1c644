// `quarry relations …`: query, export, count and retire the relation graph.
//   quarry relations images http://site/page            images of a page, with their contents
//   quarry relations sources <sign>                     which links and pages a content came from
//   quarry relations link http://site/a.jpg             a link's state and content
//   quarry relations export --out graph.jsonl           every content with its relation (ordered)
//   quarry relations counts | retire [--limit n]
// --store embedded:<dir> | cassandra:<host:port>/<keyspace>  (default embedded:.quarry/relations)
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import { createRelationEngine, openRelationStore, type RelationEngine } from '../../relation-engine/index.ts';

const DEFAULT_STORE = 'embedded:.quarry/relations';

async function withEngine(cmd: Command, work: (engine: RelationEngine) => Promise<unknown>): Promise<void> {
  const { store } = cmd.optsWithGlobals<{ store: string }>();
  const engine = createRelationEngine({ store: await openRelationStore(store) });
  try {
    const result = await work(engine);
    if (result !== undefined) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await engine.close();
  }
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

  rel.command('counts').description('vertices, live edges and stale edge copies awaiting retirement')
    .action(async (_o: unknown, cmd: Command) => withEngine(cmd, (e) => e.counts()));

  rel.command('retire').description('delete stale edges (never a live one)')
    .option('--limit <n>', 'delete at most n edge copies', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new Error(`Expected \`--limit\` to be an integer ≥ 1, got \`${v}\``);
      return n;
    })
    .action(async (o: { limit?: number }, cmd: Command) => withEngine(cmd, (e) => e.retire(o.limit === undefined ? {} : { limit: o.limit })));

  rel.command('export').description('every content with its links and pages as JSON lines, in scan order')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (o: { out?: string }, cmd: Command) => withEngine(cmd, async (e) => {
      const out = o.out ? createWriteStream(o.out) : process.stdout;
      const tty = process.stderr.isTTY;
      const report = await e.exportJsonl(out, {
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
      process.stderr.write(`done: ${report.contents} contents, ${report.bytes} bytes in ${report.elapsedMs} ms\n`);
      return undefined;
    }));
}
