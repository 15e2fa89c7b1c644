// An export thread starts here and loads its TypeScript module through tsx's scoped loader, so it
// loads the same way whether the parent runs under `node --import tsx`, `tsx`, or bin/quarry.mjs's
// register() (which worker threads do not inherit).
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.script, import.meta.url);
