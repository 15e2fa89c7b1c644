// The `quarry` command: the composition root that wires framework, gate, relation engine and
// operators together. Each command group lives in commands/<group>.ts.
import { Command } from 'commander';
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
import { registerTraceCommand } from './commands/trace.ts';

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
  registerRelationsCommand(program);
  registerIndexCommand(program);
  registerGateCommand(program);
  return program;
}

export async function runCli(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    process.stderr.write(`quarry: ${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}\n`);
    process.exit(1);
  }
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('cli/main.ts');
if (isMain) await runCli();
