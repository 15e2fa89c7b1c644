// `quarry operator check <host:port>`: the operator contract, clause by clause, against any running
// operator service (any language). Exits 1 when a clause fails.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { checkOperatorService, formatResult, summarise, type FixedSample } from '../../framework/operator-conformance/index.ts';

interface CheckCliOptions {
  operator?: string;
  tls?: boolean;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  token?: string;
  sample?: string;
  json?: boolean;
}

/** `--sample file.json`: `{ "fields": { name: <json value> }, "blobs": { name: "<file, relative to it>" } }`. */
export function readSample(file: string): FixedSample {
  let raw: { fields?: Record<string, unknown>; blobs?: Record<string, string> };
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as typeof raw;
  } catch (err) {
    throw new Error(`--sample ${file}: not a readable JSON file (${(err as Error).message})`);
  }
  const blobs: Record<string, Uint8Array> = {};
  for (const [name, path] of Object.entries(raw.blobs ?? {})) {
    if (typeof path !== 'string') throw new Error(`--sample ${file}: blobs.${name} must be a file path`);
    blobs[name] = readFileSync(resolve(dirname(file), path));
  }
  return { fields: raw.fields ?? {}, blobs };
}

export function registerOperatorCheckCommand(program: Command): void {
  const operator = program.commands.find((c) => c.name() === 'operator');
  if (!operator) throw new Error('register the `operator` command before `operator check`');
  // `operator` serves with --tls-* and --token; `check` connects with its own. Positional options
  // give each command the flags written after its name (else `operator` takes them wherever they
  // are); the program's own are turned on in buildProgram, after every command exists.
  operator.enablePositionalOptions();
  operator
    .command('check')
    .description('run the operator contract against a running operator service and print a pass/fail line per clause')
    .argument('<address>', 'host:port of the service')
    .option('--operator <name>', 'check only this operator of the service (default: every one it serves)')
    .option('--tls', 'connect with TLS (system roots unless --tls-ca)')
    .option('--tls-ca <pem>', 'CA certificate that signed the service (implies --tls)')
    .option('--tls-cert <pem>', 'client certificate, for services that require one (mTLS)')
    .option('--tls-key <pem>', 'key of the client certificate')
    .option('--token <token>', 'bearer token (also checks that calls without it are refused; env QUARRY_OPERATOR_TOKEN)')
    .option('--sample <file>', 'inputs known to be answered OK, as JSON: {"fields": {…}, "blobs": {"name": "file"}}')
    .option('--json', 'print the results as JSON')
    .action(async (address: string, opts: CheckCliOptions) => {
      const token = opts.token ?? process.env.QUARRY_OPERATOR_TOKEN;
      const results = await checkOperatorService(address, {
        ...(opts.operator ? { operator: opts.operator } : {}),
        ...(opts.tls ? { tls: true } : {}),
        ...(opts.tlsCa ? { tlsCa: opts.tlsCa } : {}),
        ...(opts.tlsCert ? { tlsCert: opts.tlsCert } : {}),
        ...(opts.tlsKey ? { tlsKey: opts.tlsKey } : {}),
        ...(token ? { token } : {}),
        ...(opts.sample ? { sample: readSample(opts.sample) } : {}),
        ...(opts.json ? {} : { onResult: (r) => void process.stdout.write(`${formatResult(r)}\n`) }),
      });
      process.stdout.write(opts.json ? `${JSON.stringify(results)}\n` : `${summarise(results)}\n`);
      if (results.some((r) => r.status === 'fail')) process.exitCode = 1;
    });
}
