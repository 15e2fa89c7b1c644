// Declared fields on the wire: inputs decoded and validated, outputs validated and encoded, and
// every error mapped to a per-item response with the documented code (proto/quarry.proto).
import { z } from 'zod';
import { errorCode, errorMessage, FilteredError, QuarryError } from '../../errors/index.ts';
import type { EchoRequest, EchoResponse, WireFieldSpec } from '../../wire/index.ts';
import { fieldKind, isOptionalField, maxBytesOf, type FieldDecls, type OperatorDefinition } from '../define-operator.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function describeFields(decls: FieldDecls): WireFieldSpec[] {
  return Object.entries(decls).map(([name, decl]) => ({
    name,
    kind: fieldKind(decl),
    description: decl instanceof z.ZodType ? (decl.description ?? '') : decl.description,
    optional: isOptionalField(decl),
    maxBytes: maxBytesOf(decl),
  }));
}

export function failure(status: EchoResponse['status'], code: string, message: string, retryAfterMs = 0): EchoResponse {
  return { status, errorCode: code, message, retryAfterMs, fields: {}, blobs: {}, children: [] };
}

const issues = (error: z.ZodError): string => error.issues.map((i) => `${i.path.join('.') || 'value'} ${i.message}`).join('; ');

/** Turn wire inputs into the handler's typed input; a problem is a per-item INPUT_INVALID or INPUT_TOO_LARGE. */
export function decodeInputs(def: OperatorDefinition, req: EchoRequest): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const problems: string[] = [];
  let tooLarge = false;
  for (const name in def.inputs) {
    const decl = def.inputs[name]!;
    const kind = fieldKind(decl);
    const raw = kind === 'blob' ? req.blobs[name] : req.fields[name];
    if (raw === undefined) {
      if (!isOptionalField(decl)) problems.push(`missing required input \`${name}\``);
      continue;
    }
    const limit = maxBytesOf(decl);
    if (limit > 0 && raw.length > limit) {
      tooLarge = true;
      problems.push(`input \`${name}\` is ${raw.length} bytes, over its limit of ${limit}`);
      continue;
    }
    if (kind === 'blob') {
      input[name] = raw;
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(raw));
    } catch {
      problems.push(`input \`${name}\` is not valid JSON`);
      continue;
    }
    if (kind === 'blob-ref') {
      if (typeof value === 'string') input[name] = value;
      else problems.push(`input \`${name}\` must be a blob reference string`);
      continue;
    }
    const parsed = (decl as z.ZodTypeAny).safeParse(value);
    if (parsed.success) input[name] = parsed.data;
    else problems.push(`input \`${name}\`: ${issues(parsed.error)}`);
  }
  if (problems.length > 0) throw new QuarryError(tooLarge ? 'INPUT_TOO_LARGE' : 'INPUT_INVALID', `operator \`${def.name}\`: ${problems.join(', ')}`);
  return input;
}

export function encodeOutputs(def: OperatorDefinition, output: Record<string, unknown>): Pick<EchoResponse, 'fields' | 'blobs'> {
  const fields: Record<string, Uint8Array> = {};
  const blobs: Record<string, Uint8Array> = {};
  const problems: string[] = [];
  for (const name in def.outputs) {
    const decl = def.outputs[name]!;
    const value = output[name];
    const kind = fieldKind(decl);
    if (value === undefined) {
      if (!isOptionalField(decl)) problems.push(`missing output \`${name}\``);
      continue;
    }
    if (kind === 'blob') {
      if (value instanceof Uint8Array) blobs[name] = value;
      else problems.push(`output \`${name}\` must be a Uint8Array`);
      continue;
    }
    if (kind === 'blob-ref') {
      if (typeof value === 'string') fields[name] = encoder.encode(JSON.stringify(value));
      else problems.push(`output \`${name}\` must be a blob reference string`);
      continue;
    }
    const parsed = (decl as z.ZodTypeAny).safeParse(value);
    if (parsed.success) fields[name] = encoder.encode(JSON.stringify(parsed.data));
    else problems.push(`output \`${name}\`: ${issues(parsed.error)}`);
  }
  for (const name in output) {
    if (!(name in def.outputs)) problems.push(`undeclared output \`${name}\``);
  }
  if (problems.length > 0) throw new QuarryError('OUTPUT_INVALID', `operator \`${def.name}\`: ${problems.join(', ')}`);
  return { fields, blobs };
}

export function errorToResponse(err: unknown): EchoResponse {
  if (err instanceof FilteredError || errorCode(err) === 'FILTERED') {
    return failure('FILTERED', 'FILTERED', (err as FilteredError).reason ?? errorMessage(err));
  }
  if (err instanceof QuarryError && err.retryable) {
    return failure('RETRY', err.code, err.message, err.retryAfterMs ?? 0);
  }
  return failure('FAILED', errorCode(err), errorMessage(err));
}
