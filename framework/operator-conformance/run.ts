// Runs the clauses in order against each operator of a service; one result per clause.
import { checkBackpressure, checkBatch, checkConcurrency, checkDeadlines, checkHealth, checkToken } from './clauses-load.ts';
import { checkMissingInput, checkOversized, checkWrongType } from './clauses-inputs.ts';
import { checkDeclaredOnly, checkDescribe, checkUnknownOperator, findSample } from './clauses-shape.ts';
import { explainRefusal } from '../operator-client/index.ts';
import { fail, type ClauseStatus, type Probe, type Verdict } from './probe.ts';
import type { FixedSample } from './samples.ts';
import { createContractClient, type ChannelOptions, type WireDescription } from './wire-client.ts';

export type ClauseId =
  | 'describe' | 'echo-matches-describe' | 'unknown-operator' | 'missing-input' | 'wrong-type' | 'oversized-input'
  | 'deadlines' | 'batch-statuses' | 'concurrent-calls' | 'backpressure' | 'health' | 'declared-fields-only' | 'token';

interface Clause {
  id: ClauseId;
  title: string;
  run(p: Probe, sample?: FixedSample): Verdict | Promise<Verdict>;
}

export const CLAUSES: readonly Clause[] = [
  { id: 'describe', title: 'Describe is well formed', run: checkDescribe },
  { id: 'echo-matches-describe', title: 'Echo returns what Describe declares', run: findSample },
  { id: 'unknown-operator', title: 'an unknown operator is UNIMPLEMENTED', run: checkUnknownOperator },
  { id: 'missing-input', title: 'a missing input is INPUT_INVALID', run: checkMissingInput },
  { id: 'wrong-type', title: 'a wrong type is INPUT_INVALID', run: checkWrongType },
  { id: 'oversized-input', title: 'an oversized input is INPUT_TOO_LARGE', run: checkOversized },
  { id: 'deadlines', title: 'deadlines are honoured', run: checkDeadlines },
  { id: 'batch-statuses', title: 'a batch answers each item with its own status', run: checkBatch },
  { id: 'concurrent-calls', title: 'concurrent calls are safe', run: checkConcurrency },
  { id: 'backpressure', title: 'backpressure is RESOURCE_EXHAUSTED', run: checkBackpressure },
  { id: 'health', title: 'Health reports in-flight and capacity', run: checkHealth },
  { id: 'declared-fields-only', title: 'declared fields only', run: checkDeclaredOnly },
  { id: 'token', title: 'a missing or wrong token is UNAUTHENTICATED', run: checkToken },
];

export interface ClauseResult extends Verdict {
  operator: string;
  clause: ClauseId;
  title: string;
}

export interface CheckOptions extends ChannelOptions {
  /** Only this operator of the service (default: every one it Describes). */
  operator?: string;
  /** Inputs known to be answered OK, instead of the kit's guesses. */
  sample?: FixedSample;
  /** Called with each result as it is known (the CLI prints as it goes). */
  onResult?(result: ClauseResult): void;
}

export async function checkOperatorService(address: string, options: CheckOptions = {}): Promise<ClauseResult[]> {
  const client = createContractClient(address, options);
  const results: ClauseResult[] = [];
  const report = (r: ClauseResult) => {
    results.push(r);
    options.onResult?.(r);
  };
  try {
    let descriptions: WireDescription[];
    try {
      descriptions = await client.describe();
    } catch (err) {
      // A refused certificate or token, or TLS on one side only, is named as the miner names it.
      const refused = await explainRefusal(address, err, options);
      report({ operator: options.operator ?? '*', clause: 'describe', title: 'Describe is well formed', ...fail(refused ? `the service refused this client: ${refused.message}` : `Describe failed: ${(err as Error).message}`) });
      return results;
    }
    const chosen = options.operator ? descriptions.filter((d) => d.name === options.operator) : descriptions;
    if (chosen.length === 0) {
      const served = descriptions.map((d) => d.name).join(', ') || 'none';
      report({ operator: options.operator ?? '*', clause: 'describe', title: 'Describe is well formed', ...fail(`the service does not describe ${options.operator ? `\`${options.operator}\`` : 'any operator'} (serving: ${served})`) });
      return results;
    }
    for (const desc of chosen) {
      const probe: Probe = { client, desc, ...(options.token ? { token: options.token } : {}), references: [], okAnswers: [] };
      for (const clause of CLAUSES) {
        let verdict: Verdict;
        try {
          verdict = await clause.run(probe, options.sample);
        } catch (err) {
          verdict = fail(`the check itself failed: ${(err as Error).message}`);
        }
        report({ operator: desc.name, clause: clause.id, title: clause.title, ...verdict });
      }
    }
    return results;
  } finally {
    client.close();
  }
}

const LABEL: Record<ClauseStatus, string> = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' };

export function formatResult(r: ClauseResult): string {
  return `${LABEL[r.status]}  ${r.operator}  ${r.clause.padEnd(22)} ${r.title}: ${r.detail}`;
}

export function summarise(results: readonly ClauseResult[]): string {
  const n = (s: ClauseStatus) => results.filter((r) => r.status === s).length;
  return `${n('pass')} passed, ${n('fail')} failed, ${n('skip')} skipped`;
}
