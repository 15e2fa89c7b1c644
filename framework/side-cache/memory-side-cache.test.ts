import { sideCacheContract } from '../testing/side-cache-contract.ts';
import { createMemorySideCache } from './index.ts';

sideCacheContract('memory', async () => createMemorySideCache());
