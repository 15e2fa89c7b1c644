// Which operator runs where: ask every endpoint to Describe itself, then keep one
// load-balanced client per operator over every endpoint that serves it.
import { QuarryError } from '../errors/index.ts';
import { createOperatorClient, type OperatorClient, type OperatorClientOptions } from '../operator-client/index.ts';
import type { OperatorDescription } from '../wire/index.ts';

export interface OperatorDirectory {
  readonly descriptions: ReadonlyMap<string, OperatorDescription>;
  /** The client for an operator; throws UNKNOWN_OPERATOR naming the endpoints asked. */
  client(name: string): OperatorClient;
  clients(): ReadonlyMap<string, OperatorClient>;
  close(): void;
}

export async function discoverOperators(endpoints: readonly string[], options: Omit<OperatorClientOptions, 'endpoints'> & { describeTimeoutMs?: number } = {}): Promise<OperatorDirectory> {
  const descriptions = new Map<string, OperatorDescription>();
  const servedBy = new Map<string, string[]>();
  for (const endpoint of endpoints) {
    const probe = createOperatorClient({ endpoints: [endpoint], ...(options.now ? { now: options.now } : {}) });
    try {
      for (const d of await probe.describe({ timeoutMs: options.describeTimeoutMs ?? 15_000 })) {
        descriptions.set(d.name, d);
        servedBy.set(d.name, [...(servedBy.get(d.name) ?? []), endpoint]);
      }
    } finally {
      probe.close();
    }
  }
  const clients = new Map<string, OperatorClient>();
  return {
    descriptions,
    client(name) {
      let c = clients.get(name);
      if (!c) {
        const at = servedBy.get(name);
        if (!at) throw new QuarryError('UNKNOWN_OPERATOR', `no endpoint serves operator \`${name}\` (asked: ${endpoints.join(', ') || 'none'})`);
        c = createOperatorClient({ ...options, endpoints: at });
        clients.set(name, c);
      }
      return c;
    },
    clients: () => clients,
    close() {
      for (const c of clients.values()) c.close();
    },
  };
}
