// The `quarry` command: the composition root that wires framework, gate, relation engine and
// operators together. Each command group lives in commands/<group>.ts.
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { registerCrawlCommand } from './commands/crawl.ts';
import { registerDlqCommand } from './commands/dlq.ts';
import { registerInspectCommand } from './commands/inspect.ts';
import { registerOperatorCommand } from './commands/operator.ts';
import { registerPlanCommand } from './commands/plan.ts';

export async function buildProgram(): Promise<Command> {
  const program = new Command('quarry')
    .description('Quarry: a dataflow DAG framework for large-scale image ingestion')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  registerCrawlCommand(program);
  registerPlanCommand(program);
  registerInspectCommand(program);
  registerDlqCommand(program);
  registerOperatorCommand(program);
  // Command groups owned by other components register themselves here when present.
  for (const [file, fn] of [['relations', 'registerRelationsCommand'], ['index', 'registerIndexCommand'], ['gate', 'registerGateCommand']] as const) {
    const path = new URL(`./commands/${file}.ts`, import.meta.url);
    if (existsSync(path)) ((await import(path.href)) as Record<string, (p: Command) => void>)[fn]?.(program);
  }
  return program;
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('cli/main.ts');
if (isMain) {
  buildProgram()
    .then((p) => p.parseAsync(process.argv))
    .catch((err: unknown) => {
      const e = err as { code?: string; message?: string };
      process.stderr.write(`quarry: ${e.code ? `[${e.code}] ` : ''}${e.message ?? String(err)}\n`);
      process.exit(1);
    });
}
