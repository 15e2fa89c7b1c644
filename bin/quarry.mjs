#!/usr/bin/env node
// The `quarry` command: TypeScript sources run directly through tsx (DAG files load the same way).
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../cli/main.ts');
await runCli();
