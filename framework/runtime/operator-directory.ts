// Which operator runs where. Operators defined in this process are called in-process (the same
// wrapper as behind gRPC: validation, deadlines, error mapping, spans — no serialisation);
// remote ones through one load-balanced client per operator over every endpoint that serves it.
// Endpoints that do not answer Describe at start are probed in the background and joined when
// they come up, so a miner starts during a partial operator outage. An endpoint that refuses the
// miner's certificate or token (or speaks TLS where the miner does not) is no outage: the start
// fails at once, naming the endpoint and the cause.
import { setTimeout as sleep } from 'node:timers/promises';
import { errorCode, errorMessage, QuarryError } from '../errors/index.ts';
import { createOperatorClient, type EchoBatchFn, type OperatorClient, type OperatorClientOptions } from '../operator-client/index.ts';
import { describeOperator, invokeBatch, type OperatorDefinition } from '../operator-sdk/index.ts';
import type { OperatorDescription } from '../wire/index.ts';

export interface OperatorDirectory {
  readonly descriptions: ReadonlyMap<string, OperatorDescription>;
  /** The batch call of an operator: in-process when it is defined here, else its client. */
  echo(name: string): EchoBatchFn;
  /** Remote operators' clients (for stats and health). */
  clients(): ReadonlyMap<string, OperatorClient>;
  /** Endpoints that have not answered Describe yet (being probed). */
  unreachable(): readonly string[];
  close(): void;
}

export interface DiscoverOptions extends Omit<OperatorClientOptions, 'endpoints' | 'maxBatch'> {
  endpoints?: readonly string[];
  /** Operators served from this process, called without gRPC. */
  local?: readonly OperatorDefinition[];
  /** Operators that must be found before the directory is ready (those the hosted nodes run). */
  required?: readonly string[];
  /** How long to wait for the required operators (or, without any, for one endpoint). Default 15 s. */
  describeTimeoutMs?: number;
  /** How often endpoints that are down are asked again. Default 2 s. */
  probeIntervalMs?: number;
}

function inProcess(def: OperatorDefinition): EchoBatchFn {
  return (call) => {
    const deadline = Math.max(0, ...call.items.map((i) => i.deadlineMs ?? 0)) || Date.now() + 60_000;
    return invokeBatch(def, call.items, { deadline, ...(call.signal ? { signal: call.signal } : {}) });
  };
}

export async function discoverOperators(options: DiscoverOptions = {}): Promise<OperatorDirectory> {
  const endpoints = [...new Set(options.endpoints ?? [])];
  const local = new Map((options.local ?? []).map((d) => [d.name, d]));
  const descriptions = new Map<string, OperatorDescription>([...local.values()].map((d) => [d.name, describeOperator(d)]));
  const servedBy = new Map<string, string[]>();
  const clients = new Map<string, OperatorClient>();
  const down = new Map<string, string>(endpoints.map((e) => [e, 'not asked yet']));
  const refused = new Map<string, string>();
  const { describeTimeoutMs = 15_000, probeIntervalMs = 2_000, required = [], local: _l, endpoints: _e, ...clientOptions } = options;
  let closed = false;

  const join = (endpoint: string, ops: readonly OperatorDescription[]): void => {
    down.delete(endpoint);
    for (const d of ops) {
      if (local.has(d.name)) continue;
      if (!descriptions.has(d.name)) descriptions.set(d.name, d);
      const at = servedBy.get(d.name) ?? [];
      if (!at.includes(endpoint)) servedBy.set(d.name, [...at, endpoint]);
      clients.get(d.name)?.addEndpoint(endpoint);
    }
  };
  const probe = async (endpoint: string, timeoutMs: number): Promise<void> => {
    const client = createOperatorClient({ endpoints: [endpoint], ...(clientOptions.now ? { now: clientOptions.now } : {}), ...(clientOptions.security ? { security: clientOptions.security } : {}) });
    try {
      join(endpoint, await client.describe({ timeoutMs }));
      refused.delete(endpoint);
    } catch (err) {
      down.set(endpoint, errorMessage(err));
      if (errorCode(err) === 'OPERATOR_AUTH_FAILED') refused.set(endpoint, errorMessage(err));
    } finally {
      client.close();
    }
  };
  const missing = (): string[] => required.filter((name) => !descriptions.has(name));
  const failIfRefused = (): void => {
    if (refused.size > 0) throw new QuarryError('OPERATOR_AUTH_FAILED', [...refused.values()].join('; '));
  };

  const until = Date.now() + describeTimeoutMs;
  await Promise.all(endpoints.map((e) => probe(e, Math.min(5_000, describeTimeoutMs))));
  failIfRefused();
  while (down.size > 0 && Date.now() < until && (missing().length > 0 || (required.length === 0 && down.size === endpoints.length))) {
    await sleep(Math.min(probeIntervalMs, Math.max(0, until - Date.now())));
    await Promise.all([...down.keys()].map((e) => probe(e, Math.min(5_000, Math.max(100, until - Date.now())))));
    failIfRefused();
  }
  const lacking = missing();
  if (lacking.length > 0 || (endpoints.length > 0 && down.size === endpoints.length && local.size === 0)) {
    const why = [...down].map(([e, reason]) => `${e} (${reason})`).join('; ');
    throw new QuarryError('OPERATORS_UNREACHABLE', lacking.length > 0
      ? `no endpoint described operator(s) ${lacking.join(', ')} within ${describeTimeoutMs} ms (asked: ${endpoints.join(', ') || 'none'}${why ? `; unreachable: ${why}` : ''})`
      : `no operator endpoint answered Describe within ${describeTimeoutMs} ms: ${why}`);
  }
  // The rest join when they come up.
  void (async () => {
    while (!closed && down.size > 0) {
      await sleep(probeIntervalMs);
      if (!closed) await Promise.all([...down.keys()].map((e) => probe(e, 2_000)));
    }
  })();

  return {
    descriptions,
    echo(name) {
      const def = local.get(name);
      if (def) return inProcess(def);
      let c = clients.get(name);
      if (!c) {
        const at = servedBy.get(name);
        if (!at) throw new QuarryError('UNKNOWN_OPERATOR', `no endpoint serves operator \`${name}\` (asked: ${endpoints.join(', ') || 'none'})`);
        c = createOperatorClient({ ...clientOptions, endpoints: at, maxBatch: descriptions.get(name)?.maxBatch || 1 });
        clients.set(name, c);
      }
      return c.echoBatch;
    },
    clients: () => clients,
    unreachable: () => [...down.keys()],
    close() {
      closed = true;
      for (const c of clients.values()) c.close();
    },
  };
}
