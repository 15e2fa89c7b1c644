// Clauses on bad input: a missing input, a wrong type and an oversized value each get the
// documented per-item error (proto/quarry.proto), naming the field.
import { fail, makeItem, noSample, pass, show, skip, type Probe, type Verdict } from './probe.ts';
import { json } from './samples.ts';
import type { WireAnswer, WireItem } from './wire-client.ts';

const MAX_OVERSIZE = 48 << 20;

function expect(a: WireAnswer, status: string, code: string, field: string): string | undefined {
  if (a.status !== status || a.errorCode !== code) return `expected ${status}/${code} for \`${field}\`, got ${show(a)}`;
  if (!a.message.includes(field)) return `the ${code} message does not name \`${field}\`: ${JSON.stringify(a.message)}`;
  return undefined;
}

export async function checkMissingInput(p: Probe): Promise<Verdict> {
  const base = p.sample?.variant(0);
  if (!base) return noSample(p)!;
  const required = p.desc.inputs.filter((f) => !f.optional);
  if (required.length === 0) return skip('the operator has no required input');
  const problems: string[] = [];
  for (const f of required) {
    const inputs = { fields: { ...base.fields }, blobs: { ...base.blobs } };
    delete inputs.fields[f.name];
    delete inputs.blobs[f.name];
    const problem = expect(await p.client.echo(makeItem(p, inputs)), 'FAILED', 'INPUT_INVALID', f.name);
    if (problem) problems.push(problem);
  }
  return problems.length > 0 ? fail(problems.join('; ')) : pass(`each of ${required.length} required input(s), when missing, is FAILED/INPUT_INVALID naming it`);
}

/** Values of another JSON type than the sample's, and bytes that are no JSON at all. */
function wrongValues(sample: Uint8Array | undefined, kind: string): { what: string; bytes: Uint8Array }[] {
  const out: { what: string; bytes: Uint8Array }[] = [{ what: 'invalid JSON', bytes: new TextEncoder().encode('{not json') }];
  let v: unknown;
  try {
    v = sample ? JSON.parse(Buffer.from(sample).toString('utf8')) : undefined;
  } catch {
    v = undefined;
  }
  if (kind === 'blob-ref' || typeof v === 'string') out.push({ what: 'a number for a string', bytes: json(12345) });
  else if (typeof v === 'number') out.push({ what: 'a string for a number', bytes: json('not a number') });
  else if (typeof v === 'boolean') out.push({ what: 'a string for a boolean', bytes: json('not a boolean') });
  else if (Array.isArray(v)) out.push({ what: 'an object for an array', bytes: json({ not: 'an array' }) });
  else if (v && typeof v === 'object') out.push({ what: 'an array for an object', bytes: json(['not', 'an object']) });
  return out;
}

export async function checkWrongType(p: Probe): Promise<Verdict> {
  const base = p.sample?.variant(0);
  if (!base) return noSample(p)!;
  const problems: string[] = [];
  let cases = 0;
  for (const f of p.desc.inputs) {
    const variants: { what: string; item: Pick<WireItem, 'fields' | 'blobs'> }[] = [];
    if (f.kind === 'blob') {
      // A blob sent where JSON travels is not the declared blob.
      const blobs = { ...base.blobs };
      delete blobs[f.name];
      variants.push({ what: 'a blob sent as a JSON field', item: { fields: { ...base.fields, [f.name]: json('blob as json') }, blobs } });
    } else {
      for (const w of wrongValues(base.fields[f.name], f.kind)) variants.push({ what: w.what, item: { fields: { ...base.fields, [f.name]: w.bytes }, blobs: base.blobs } });
    }
    for (const v of variants) {
      cases += 1;
      const problem = expect(await p.client.echo(makeItem(p, v.item)), 'FAILED', 'INPUT_INVALID', f.name);
      if (problem) problems.push(`${v.what}: ${problem}`);
    }
  }
  return problems.length > 0 ? fail(problems.join('; ')) : pass(`${cases} ill-typed input(s) each FAILED/INPUT_INVALID naming the field`);
}

export async function checkOversized(p: Probe): Promise<Verdict> {
  const base = p.sample?.variant(0);
  if (!base) return noSample(p)!;
  const limited = p.desc.inputs.filter((f) => f.maxBytes > 0);
  if (limited.length === 0) return skip('no input declares max_bytes');
  const problems: string[] = [];
  const checked: string[] = [];
  for (const f of limited) {
    if (f.maxBytes > MAX_OVERSIZE) {
      checked.push(`${f.name} (limit ${f.maxBytes} too big to send)`);
      continue;
    }
    const big = f.kind === 'blob' ? Buffer.alloc(f.maxBytes + 1, 0x20) : json('x'.repeat(f.maxBytes));
    const inputs = f.kind === 'blob' ? { fields: base.fields, blobs: { ...base.blobs, [f.name]: big } } : { fields: { ...base.fields, [f.name]: big }, blobs: base.blobs };
    try {
      const problem = expect(await p.client.echo(makeItem(p, inputs), { timeoutMs: 120_000 }), 'FAILED', 'INPUT_TOO_LARGE', f.name);
      if (problem) problems.push(problem);
      else checked.push(`${f.name} (${f.maxBytes + 1} bytes)`);
    } catch (err) {
      problems.push(`${f.maxBytes + 1} bytes for \`${f.name}\` failed the call instead of the item: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) return fail(problems.join('; '));
  return checked.some((c) => !c.includes('too big')) ? pass(`over max_bytes is FAILED/INPUT_TOO_LARGE: ${checked.join(', ')}`) : skip(`every limit is above ${MAX_OVERSIZE} bytes: ${checked.join(', ')}`);
}
