// Clauses on what the service says it is: Describe, the outputs Echo returns, unknown operators.
import { status as grpcStatus } from '@grpc/grpc-js';
import { fail, makeItem, noSample, pass, parse, show, skip, VARIANTS, type Probe, type Verdict } from './probe.ts';
import { candidateSamples, fixedSample, type FixedSample } from './samples.ts';
import { grpcCode, type WireAnswer, type WireDescription } from './wire-client.ts';

const NAME = /^[a-z][a-z0-9-]{0,62}$/;
const FIELD = /^[a-zA-Z][a-zA-Z0-9_]{0,62}$/;
const KINDS = new Set(['json', 'blob', 'blob-ref']);

export function describeProblems(d: WireDescription): string[] {
  const problems: string[] = [];
  if (!NAME.test(d.name)) problems.push(`name \`${d.name}\` is not lower-case kebab-case`);
  if (!d.version) problems.push('no version');
  if (d.resource !== 'cpu' && d.resource !== 'gpu') problems.push(`resource \`${d.resource}\` is neither cpu nor gpu`);
  for (const [side, specs] of [['input', d.inputs], ['output', d.outputs]] as const) {
    const seen = new Set<string>();
    for (const f of specs) {
      if (!FIELD.test(f.name)) problems.push(`${side} \`${f.name}\` is not a valid field name`);
      if (seen.has(f.name)) problems.push(`${side} \`${f.name}\` is declared twice`);
      if (!KINDS.has(f.kind)) problems.push(`${side} \`${f.name}\` has kind \`${f.kind}\` (json, blob or blob-ref)`);
      if (side === 'output' && f.maxBytes > 0) problems.push(`output \`${f.name}\` declares max_bytes (inputs only)`);
      seen.add(f.name);
    }
  }
  // No outputs is well formed: a sink (a relation writer) answers OK with its effect done elsewhere.
  return problems;
}

export function checkDescribe(p: Probe): Verdict {
  const problems = describeProblems(p.desc);
  if (problems.length > 0) return fail(problems.join('; '));
  const d = p.desc;
  return pass(`${d.name} ${d.version}, ${d.resource}, ${d.inputs.length} input(s), ${d.outputs.length} output(s)${d.outputs.length === 0 ? ' (a sink)' : ''}, max_batch ${d.maxBatch}, concurrency ${d.concurrency}`);
}

/** Problems of an OK answer against the declared outputs: missing, misplaced or ill-typed. */
export function outputProblems(d: WireDescription, a: WireAnswer): string[] {
  const problems: string[] = [];
  for (const f of d.outputs) {
    const inFields = f.name in a.fields;
    const inBlobs = f.name in a.blobs;
    if (!inFields && !inBlobs) {
      if (!f.optional) problems.push(`declared output \`${f.name}\` is missing`);
      continue;
    }
    if (f.kind === 'blob' && !inBlobs) problems.push(`blob output \`${f.name}\` came as a JSON field`);
    if (f.kind !== 'blob' && !inFields) problems.push(`${f.kind} output \`${f.name}\` came as a blob`);
    if (f.kind !== 'blob' && inFields) {
      try {
        const v = parse(a.fields[f.name]!);
        if (f.kind === 'blob-ref' && typeof v !== 'string') problems.push(`blob-ref output \`${f.name}\` is not a JSON string`);
      } catch {
        problems.push(`output \`${f.name}\` is not valid JSON`);
      }
    }
  }
  return problems;
}

export async function findSample(p: Probe, fixed?: FixedSample): Promise<Verdict> {
  const tried: string[] = [];
  for (const candidate of fixed ? [fixedSample(fixed)] : candidateSamples(p.desc)) {
    const answer = await p.client.echo(makeItem(p, candidate.variant(0)));
    tried.push(`${candidate.describe} → ${show(answer)}`);
    if (answer.status !== 'OK') continue;
    p.sample = candidate;
    p.okAnswers.push(answer);
    const problems = outputProblems(p.desc, answer);
    if (problems.length > 0) return fail(`${candidate.describe} answered OK but ${problems.join('; ')}`);
    for (let i = 0; i < VARIANTS; i++) {
      const ref = i === 0 ? answer : await p.client.echo(makeItem(p, candidate.variant(i)));
      if (ref.status !== 'OK') return fail(`variant ${i} of the sample answered ${show(ref)}`);
      const more = outputProblems(p.desc, ref);
      if (more.length > 0) return fail(`variant ${i}: ${more.join('; ')}`);
      p.references.push(ref);
      if (i > 0) p.okAnswers.push(ref);
    }
    return pass(`sample (${candidate.describe}) answered OK with every declared output in its declared kind`);
  }
  return skip(`no input the kit could make was answered OK (give one with --sample): ${tried.slice(0, 4).join('; ')}`);
}

export function checkDeclaredOnly(p: Probe): Verdict {
  const declared = new Set(p.desc.outputs.map((f) => f.name));
  const extra = new Set<string>();
  for (const a of p.okAnswers) for (const k of [...Object.keys(a.fields), ...Object.keys(a.blobs)]) if (!declared.has(k)) extra.add(k);
  if (extra.size > 0) return fail(`undeclared output(s) ${[...extra].map((k) => `\`${k}\``).join(', ')} in OK answers`);
  return noSample(p) ?? pass(`${p.okAnswers.length} OK answers carried declared outputs only`);
}

export async function checkUnknownOperator(p: Probe): Promise<Verdict> {
  const item = makeItem(p, p.sample?.variant(0) ?? { fields: {}, blobs: {} }, { operator: 'no-such-operator-conformance' });
  try {
    const a = await p.client.echo(item);
    return fail(`Echo for an unknown operator answered ${show(a)} instead of UNIMPLEMENTED`);
  } catch (err) {
    const code = grpcCode(err);
    return code === grpcStatus.UNIMPLEMENTED ? pass('an unknown operator is UNIMPLEMENTED') : fail(`an unknown operator got gRPC status ${code} (${(err as Error).message}), not UNIMPLEMENTED`);
  }
}
