import { embeddedTestStore, relationStoreContract } from './testing/index.ts';

relationStoreContract('embedded (LMDB)', embeddedTestStore({ buckets: 16 }));
