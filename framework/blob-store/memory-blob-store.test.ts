import { blobStoreContract } from '../testing/blob-store-contract.ts';
import { createMemoryBlobStore } from './index.ts';

blobStoreContract('memory', async () => createMemoryBlobStore());
