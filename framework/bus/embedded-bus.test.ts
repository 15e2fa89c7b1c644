import { createEmbeddedBus } from './index.ts';
import { busContract } from '../testing/index.ts';

busContract('embedded', async () => createEmbeddedBus({ redeliveryDelayMs: 5 }));
