import { shadowLogContract } from '../testing/index.ts';
import { createMemoryShadowLog } from './index.ts';

shadowLogContract('memory', async (keep) => createMemoryShadowLog({ keep }));
