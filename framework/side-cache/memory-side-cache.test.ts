import { sideCacheContract } from '../testing/index.ts';
import { createMemorySideCache } from './index.ts';

sideCacheContract('memory', async () => createMemorySideCache());
