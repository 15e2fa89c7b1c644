import { blobStoreContract } from '../testing/index.ts';
import { createMemoryBlobStore } from './index.ts';

blobStoreContract('memory', async () => createMemoryBlobStore());
