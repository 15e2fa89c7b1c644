// `quarry plan <dag-file>`: compile a DAG file and print its plan (or every problem in it).
import type { Command } from 'commander';
import { compileDag, formatPlan, loadDagFile } from '../../framework/dag/index.ts';
import { createOperatorClient } from '../../framework/operator-client/index.ts';
import type { OperatorDescription } from '../../framework/wire/index.ts';

export async function planDagFile(file: string, endpoints: readonly string[] = []): Promise<string> {
  const spec = await loadDagFile(file);
  const operators = new Map<string, OperatorDescription>();
  for (const endpoint of endpoints) {
    const client = createOperatorClient({ endpoints: [endpoint] });
    try {
      for (const d of await client.describe()) operators.set(d.name, d);
    } finally {
      client.close();
    }
  }
  return formatPlan(compileDag(spec, endpoints.length > 0 ? { operators } : {}));
}

export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description('compile a DAG file and print its plan: topics, joins, field liveness')
    .argument('<dag-file>', 'a TypeScript DAG file, e.g. dags/page-ingest.ts')
    .option('--operators <endpoints>', 'check node fields against these operator services (host:port,…)')
    .action(async (file: string, opts: { operators?: string }) => {
      process.stdout.write(`${await planDagFile(file, opts.operators ? opts.operators.split(',') : [])}\n`);
    });
}
