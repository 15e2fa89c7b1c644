// `npm run bench [-- --filter terms] [--cpu-prof] [--skip-run]`: run every bench/*.bench.ts the
// filter selects as a child process (`node --import tsx bench/<name>.bench.ts`), then assemble
// bench/RESULTS.md from every bench/results/*.md and bench/results/latest.json from every
// bench/results/*.json (keyed by bench name). Benches filtered out keep their last results.
// `--filter` takes comma-separated terms: a term naming a bench (`core`, `gate`, `relations`)
// selects that bench; any other term selects scenarios of the core bench (peers and sizes:
// `--filter bullmq,quarry-kafka-redis,1kb`; see bench/internal/scenarios.ts) and runs it with them.
// `--cpu-prof` goes to the core bench (CPU profiles of its measured processes in bench/results/tmp/).
// Other flags are passed to each bench run (e.g. `-- --filter core --items 500`).
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine, machineInfo } from './internal/machine.ts';

const here = dirname(fileURLToPath(import.meta.url));
const resultsDir = join(here, 'results');

/** The bench whose scenarios (peers, sizes) a filter term may name, and which takes `--cpu-prof`. */
const SCENARIO_BENCH = 'core';

interface RunArgs {
  filter: string;
  skipRun: boolean;
  cpuProf: boolean;
  passThrough: string[];
}

function parseArgs(argv: readonly string[]): RunArgs {
  const out: RunArgs = { filter: '', skipRun: false, cpuProf: false, passThrough: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--filter') {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error('Expected `--filter` to be followed by bench names or core scenarios (e.g. `core` or `bullmq,1kb`), got nothing');
      out.filter = v;
    } else if (a === '--skip-run') out.skipRun = true;
    else if (a === '--cpu-prof') out.cpuProf = true;
    else out.passThrough.push(a);
  }
  return out;
}

/** Which benches run, and the scenario filter the scenario bench gets. */
function choose(names: readonly string[], filter: string): { chosen: string[]; scenarioFilter: string } {
  const terms = filter.split(',').map((t) => t.trim()).filter(Boolean);
  if (terms.length === 0) return { chosen: [...names], scenarioFilter: '' };
  const benchTerms = terms.filter((t) => names.some((n) => n.includes(t)));
  const scenarioTerms = terms.filter((t) => !benchTerms.includes(t));
  const chosen = names.filter((n) => benchTerms.some((t) => n.includes(t)) || (n === SCENARIO_BENCH && scenarioTerms.length > 0));
  return { chosen, scenarioFilter: scenarioTerms.join(',') };
}

function runBench(file: string, args: readonly string[], via: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, file), ...args], { cwd: dirname(here), stdio: 'inherit', env: { ...process.env, QUARRY_BENCH_VIA: via } });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function assemble(command: string): Promise<{ sections: string[] }> {
  const files = (await readdir(resultsDir)).sort();
  const sections = files.filter((f) => f.endsWith('.md'));
  const m = machineInfo();
  const md = [
    '# Quarry benchmark results',
    '',
    `Assembled: ${new Date().toISOString()} by \`${command}\`.  `,
    `Machine: ${describeMachine(m)} (\`nproc\` = ${m.nproc}).  `,
    'Each section below comes from its own bench file (`bench/<name>.bench.ts`) and names the exact command, machine and date it ran with; ' +
      'sections not re-run by this command keep their previous figures. Machine-readable: `bench/results/latest.json` (keyed by bench name).',
    '',
  ];
  for (const f of sections) md.push((await readFile(join(resultsDir, f), 'utf8')).trimEnd(), '');
  await writeFile(join(here, 'RESULTS.md'), `${md.join('\n')}\n`);

  const latest: Record<string, unknown> = {};
  for (const f of files.filter((x) => x.endsWith('.json') && x !== 'latest.json')) {
    try {
      latest[basename(f, '.json')] = JSON.parse(await readFile(join(resultsDir, f), 'utf8'));
    } catch (err) {
      throw new Error(`bench/results/${f} is not valid JSON: ${(err as Error).message}`);
    }
  }
  await writeFile(join(resultsDir, 'latest.json'), `${JSON.stringify({ assembled: new Date().toISOString(), command, machine: m, benches: latest }, null, 2)}\n`);
  return { sections };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
  const names = (await readdir(here)).filter((f) => f.endsWith('.bench.ts')).sort().map((f) => f.replace(/\.bench\.ts$/, ''));
  const { chosen, scenarioFilter } = choose(names, args.filter);
  if (chosen.length === 0) throw new Error(`Expected \`--filter\` to match a bench (${names.join(', ')}), got \`${args.filter}\``);
  if (args.cpuProf && !chosen.includes(SCENARIO_BENCH)) throw new Error(`Expected \`--cpu-prof\` with a filter that runs the ${SCENARIO_BENCH} bench (the only one that profiles), got \`--filter ${args.filter}\``);
  const failed: string[] = [];
  if (!args.skipRun) {
    for (const name of chosen) {
      const file = `${name}.bench.ts`;
      const extra = name === SCENARIO_BENCH ? [...(scenarioFilter ? ['--filter', scenarioFilter] : []), ...(args.cpuProf ? ['--cpu-prof'] : [])] : [];
      console.error(`[bench] ${file}${extra.length ? ` ${extra.join(' ')}` : ''}`);
      const code = await runBench(file, [...args.passThrough, ...extra], command);
      if (code !== 0) failed.push(`${file} (exit ${code})`);
    }
  }
  const { sections } = await assemble(command);
  console.error(`[bench] bench/RESULTS.md from ${sections.length} section(s): ${sections.join(', ')}; bench/results/latest.json`);
  if (failed.length > 0) {
    console.error(`[bench] failed: ${failed.join(', ')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
