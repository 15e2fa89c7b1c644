import { createEmbeddedBus } from './index.ts';
import { busContract } from '../testing/bus-contract.ts';

busContract('embedded', async () => createEmbeddedBus({ redeliveryDelayMs: 5 }));
