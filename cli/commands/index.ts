// `quarry index …`: query the content index built by the index-builder operator.
//   quarry index query --phash 8f3c5a1e9d07b264 [--distance 6]
//   quarry index query --sign <sha256> [--distance 6]
//   quarry index query --text "北京烤鸭" [--any] [--limit 20]
//   quarry index groups [--distance 6]
//   quarry index stats
// Every subcommand takes --store embedded:<dir>|redis:<url> (default $QUARRY_INDEX_STORE or
// embedded:.quarry/index) and --json for machine-readable output.
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_INDEX_STORE, createContentIndex, openIndexStore, type IndexStore } from '../../operators/index-builder/index.ts';
import { errorMessage } from '../../framework/errors/index.ts';

export interface IndexCommandIo {
  out(text: string): void;
}

interface CommonOptions {
  store: string;
  json?: boolean;
}

const defaultIo: IndexCommandIo = { out: (text) => void process.stdout.write(text) };

function intOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`Expected \`${name}\` to be an integer between ${min} and ${max}, got \`${value}\``);
    return n;
  };
}

export function registerIndexCommand(program: Command, io: IndexCommandIo = defaultIo): void {
  const index = program.command('index').description('query the image-content index: near-duplicates by pHash, contents by OCR text');
  const common = (cmd: Command) =>
    cmd
      .option('--store <spec>', 'embedded:<dir> or redis:<url>', process.env.QUARRY_INDEX_STORE ?? DEFAULT_INDEX_STORE)
      .option('--json', 'print JSON');

  // Open, run, always close; failures become a clean one-line error with exit code 1.
  const run = async (cmd: Command, spec: string, body: (store: IndexStore) => Promise<void>) => {
    let store: IndexStore | undefined;
    try {
      store = openIndexStore(spec, { mustExist: true });
      await body(store);
    } catch (err) {
      cmd.error(`quarry index: ${errorMessage(err)}`, { exitCode: 1, code: 'quarry.index' });
    } finally {
      await store?.close();
    }
  };
  const print = (opts: CommonOptions, value: unknown, human: () => string) => io.out(opts.json ? `${JSON.stringify(value, null, 2)}\n` : human());

  common(
    index
      .command('query')
      .description('near-duplicates of a pHash or content sign, or contents whose OCR text matches')
      .option('--phash <hex>', '64-bit pHash, 16 hex chars')
      .option('--sign <sign>', 'content sign (sha256 hex) already in the index')
      .option('--text <query>', 'words to find in OCR text (CJK matched by character pairs)')
      .option('--distance <bits>', 'largest Hamming distance for near-duplicates', intOption('--distance', 0, 64), 6)
      .option('--any', 'with --text: match any word instead of all')
      .option('--limit <n>', 'with --text: most results to print', intOption('--limit', 1, 100_000), 50),
  ).action(async (opts: CommonOptions & { phash?: string; sign?: string; text?: string; distance: number; any?: boolean; limit: number }, cmd: Command) => {
    const given = [opts.phash, opts.sign, opts.text].filter((v) => v !== undefined).length;
    if (given !== 1) cmd.error('quarry index query: give exactly one of --phash, --sign or --text', { exitCode: 2, code: 'quarry.usage' });
    await run(cmd, opts.store, async (store) => {
      const contentIndex = createContentIndex({ store });
      if (opts.text !== undefined) {
        const hits = await contentIndex.searchText(opts.text, { match: opts.any ? 'any' : 'all', limit: opts.limit });
        print(opts, hits, () => (hits.length === 0 ? 'no content matches\n' : hits.map((h) => `${h.sign}  ${h.matched}  ${oneLine(h.text)}\n`).join('')));
        return;
      }
      const query = opts.phash !== undefined ? { phash: opts.phash } : { sign: opts.sign! };
      const hits = await contentIndex.nearDuplicates(query, opts.distance);
      print(opts, hits, () =>
        hits.length === 0 ? `no near-duplicates within ${opts.distance} bits\n` : hits.map((h) => `${String(h.distance).padStart(2)}  ${h.phash}  ${h.sign}\n`).join(''),
      );
    });
  });

  common(
    index
      .command('groups')
      .description('near-duplicate groups: contents linked by pHash distance ≤ --distance')
      .option('--distance <bits>', 'largest Hamming distance linking two contents', intOption('--distance', 0, 64), 6),
  ).action(async (opts: CommonOptions & { distance: number }, cmd: Command) => {
    await run(cmd, opts.store, async (store) => {
      const groups = await createContentIndex({ store }).groups(opts.distance);
      print(opts, groups, () =>
        groups.length === 0
          ? `no near-duplicate groups within ${opts.distance} bits\n`
          : groups.map((g, i) => `group ${i + 1} (${g.signs.length} contents)\n${g.signs.map((s) => `  ${g.phashes[s]}  ${s}\n`).join('')}`).join(''),
      );
    });
  });

  common(index.command('stats').description('how many contents have a pHash and OCR text indexed')).action(async (opts: CommonOptions, cmd: Command) => {
    await run(cmd, opts.store, async (store) => {
      const stats = await store.stats();
      print(opts, stats, () => `phashes ${stats.phashes}\ntexts   ${stats.texts}\n`);
    });
  });
}

function oneLine(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
