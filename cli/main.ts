// The `quarry` command: the composition root that wires framework, gate, relation engine and
// operators together. Each command group lives in commands/<group>.ts.
import { Command } from 'commander';
import { startTracing, type Tracing } from '../framework/telemetry/index.ts';
import { registerCrawlCommand } from './commands/crawl.ts';
import { registerDashboardCommand } from './commands/dashboard.ts';
import { registerDlqCommand } from './commands/dlq.ts';
import { registerGateCommand } from './commands/gate.ts';
import { registerIndexCommand } from './commands/index.ts';
import { registerInspectCommand } from './commands/inspect.ts';
import { registerMinerCommand } from './commands/miner.ts';
import { registerOperatorCommand } from './commands/operator.ts';
import { registerOperatorCheckCommand } from './commands/operator-check.ts';
import { registerPlanCommand } from './commands/plan.ts';
import { registerRelationsCommand } from './commands/relations.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerSubmitCommand } from './commands/submit.ts';
import { registerTopCommand } from './commands/top.ts';
import { registerTraceCommand } from './commands/trace.ts';
import { beforeExit } from './stop-on-signal.ts';

export function buildProgram(): Command {
  const program = new Command('quarry')
    .description('Quarry: a dataflow DAG framework for large-scale image ingestion')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  registerCrawlCommand(program);
  registerPlanCommand(program);
  registerInspectCommand(program);
  registerDlqCommand(program);
  registerOperatorCommand(program);
  registerOperatorCheckCommand(program);
  registerRunCommand(program);
  registerMinerCommand(program);
  registerSubmitCommand(program);
  registerTraceCommand(program);
  registerDashboardCommand(program);
  registerTopCommand(program);
  registerRelationsCommand(program);
  registerIndexCommand(program);
  registerGateCommand(program);
  // Last, so no command inherits it: options after a command's name are that command's
  // (`operator check --tls-ca …` is the check's, not `operator`'s).
  program.enablePositionalOptions();
  return program;
}

/**
 * The commands that run items export their spans when OTEL_* asks for it: those that finish
 * (crawl, run) flush when their action returns, servers (miner, operator, gate run) when stopped.
 */
const TRACED: Record<string, 'finishes' | 'serves'> = { crawl: 'finishes', run: 'finishes', miner: 'serves', operator: 'serves', 'gate run': 'serves' };

export async function runCli(argv: readonly string[] = process.argv): Promise<void> {
  let tracing: Tracing | undefined;
  const program = buildProgram().hook('preAction', (_root, action) => {
    const path = [action.parent?.parent ? action.parent.name() : '', action.name()].filter(Boolean).join(' ');
    const kind = TRACED[path];
    if (!kind) return;
    const started = startTracing({ serviceName: `quarry-${path.replace(' ', '-')}` });
    if (kind === 'finishes') tracing = started;
    else beforeExit(() => started.shutdown());
  });
  try {
    await program.parseAsync([...argv]);
    await tracing?.shutdown();
  } catch (err) {
    const e = err as { code?: string; message?: string };
    process.stderr.write(`quarry: ${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}\n`);
    process.exit(1);
  }
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('cli/main.ts');
if (isMain) await runCli();
