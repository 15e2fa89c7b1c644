// `quarry shadow report <dag> <node>`: what a node's shadow traffic found, as every miner of the
// deployment recorded it in Redis — per shadow operator the items compared, agreed and failed,
// per output field how often the shadow agreed, and the latest sampled disagreements.
// `quarry shadow reset <dag> <node>` forgets them (a new shadow version starts from zero).
import type { Command } from 'commander';
import { createRedisShadowLog, type ShadowLog, type ShadowReport } from '../../framework/shadow-log/index.ts';
import { parseBackendConfig, parsePositiveInt, type RawBackendOptions } from '../config.ts';
import { loadDags } from './miner.ts';

const pct = (n: number, of: number): string => (of === 0 ? '-' : `${((100 * n) / of).toFixed(1)}%`);

export function formatShadowReport(r: ShadowReport, declared?: { operator: string; share: number }): string {
  const lines = [`shadow report ${r.dag}/${r.node}${declared ? `: shadow ${declared.operator} on ${+(declared.share * 100).toFixed(2)}% of items` : ''}`];
  if (r.shadows.length === 0) lines.push('  nothing compared yet');
  for (const s of r.shadows) {
    lines.push('', `  ${s.shadow}: ${s.compared} compared, ${s.agreed} agreed (${pct(s.agreed, s.compared)}), ${s.failed} failed in the shadow`);
    if (s.fields.length === 0) continue;
    const width = Math.max(5, ...s.fields.map((f) => f.field.length));
    lines.push(`    ${'field'.padEnd(width)}  agree  disagree  agreement`);
    for (const f of s.fields) lines.push(`    ${f.field.padEnd(width)}  ${String(f.agree).padStart(5)}  ${String(f.disagree).padStart(8)}  ${pct(f.agree, f.agree + f.disagree).padStart(9)}`);
  }
  if (r.samples.length > 0) {
    lines.push('', `  latest disagreements (${r.samples.length}, newest first):`);
    for (const s of r.samples) {
      lines.push(`    ${new Date(s.atMs).toISOString()}  ${s.itemKey}  (tenant ${s.tenant}, ${s.shadow})`);
      if (s.failed) lines.push(`      shadow answered ${s.failed.status} ${s.failed.code}: ${s.failed.message}`);
      for (const d of s.differences ?? []) lines.push(`      ${d.field}: primary ${d.primary || '(none)'}`, `      ${' '.repeat(d.field.length)}  shadow  ${d.shadow || '(none)'}`);
    }
  }
  return lines.join('\n');
}

interface ShadowOptions extends RawBackendOptions {
  dags?: string[];
  samples: string;
  json?: boolean;
}

/** The node must exist and declare a shadow; its declaration, for the report's heading. */
async function declaredShadow(dag: string, node: string, files: readonly string[]): Promise<{ operator: string; share: number }> {
  const specs = await loadDags(files);
  const spec = specs.find((d) => d.name === dag);
  if (!spec) throw new Error(`unknown DAG \`${dag}\` (known: ${specs.map((d) => d.name).join(', ')}); pass its file with --dags`);
  const n = spec.nodes.find((x) => x.id === node);
  if (!n) throw new Error(`DAG \`${dag}\` has no node \`${node}\` (nodes: ${spec.nodes.map((x) => x.id).join(', ')})`);
  if (n.kind === 'filter' || n.kind === 'defer' || !n.shadow) throw new Error(`node \`${dag}/${node}\` declares no \`shadow\``);
  return { operator: n.shadow.operator, share: n.shadow.share ?? 1 };
}

async function withLog<T>(opts: ShadowOptions, fn: (log: ShadowLog) => Promise<T>): Promise<T> {
  const config = parseBackendConfig(opts);
  if (!config.redisUrl) throw new Error('the shadow report reads the deployment\'s Redis: it needs --redis (or QUARRY_REDIS_URL); an embedded runtime keeps it in memory (`runtime.shadowLog`)');
  const log = createRedisShadowLog({ redis: config.redisUrl, namespace: config.namespace });
  try {
    return await fn(log);
  } finally {
    await log.close();
  }
}

export function registerShadowCommand(program: Command): void {
  const shadow = program.command('shadow').description('shadow traffic: what a node\'s shadow operator answered, compared with its primary');
  const common = (c: Command) =>
    c
      .argument('<dag>', 'DAG name')
      .argument('<node>', 'node id')
      .option('--dags <files...>', 'DAG files (default: the built-in ones)')
      .option('--redis <url>', 'Redis of the deployment (env QUARRY_REDIS_URL)')
      .option('--namespace <ns>', 'deployment namespace', 'quarry');
  common(shadow.command('report').description('per-field agreement of a node\'s shadow, and the latest sampled disagreements'))
    .option('--samples <n>', 'most disagreements to print', '20')
    .option('--json', 'print the report as JSON')
    .action(async (dag: string, node: string, opts: ShadowOptions) => {
      const declared = await declaredShadow(dag, node, opts.dags ?? []);
      const report = await withLog(opts, (log) => log.report(dag, node, { samples: parsePositiveInt('samples', opts.samples, 20) }));
      process.stdout.write(`${opts.json ? JSON.stringify(report, null, 2) : formatShadowReport(report, declared)}\n`);
    });
  common(shadow.command('reset').description('forget a node\'s shadow counts and samples')).action(async (dag: string, node: string, opts: ShadowOptions) => {
    await declaredShadow(dag, node, opts.dags ?? []);
    await withLog(opts, (log) => log.clear(dag, node));
    process.stdout.write(`forgot the shadow comparisons of ${dag}/${node}\n`);
  });
}
