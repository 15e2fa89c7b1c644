// Load a DAG file (`dags/<name>.ts`): its default export (or a named export `dag`) must be a
// DagSpec built by `defineDag`. A malformed file gets an error naming the file and the problem.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { QuarryError } from '../errors/index.ts';
import type { DagSpec } from './define-dag.ts';

export async function loadDagFile(path: string): Promise<DagSpec> {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new QuarryError('DAG_NOT_FOUND', `DAG file not found: ${path}`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (err) {
    throw new QuarryError('DAG_LOAD_FAILED', `could not load DAG file ${path}: ${(err as Error).message}`, { cause: err });
  }
  const spec = (mod.default ?? mod.dag) as Partial<DagSpec> | undefined;
  if (!spec || typeof spec !== 'object' || typeof spec.name !== 'string' || !Array.isArray(spec.nodes)) {
    throw new QuarryError('DAG_LOAD_FAILED', `DAG file ${path} must \`export default defineDag(…)\` (found ${spec === undefined ? 'no default export' : typeof spec})`);
  }
  return spec as DagSpec;
}
