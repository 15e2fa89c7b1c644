// Serve operators as a gRPC `quarry.v1.Operator` service: Echo (one item), EchoBatch (many
// items, a response each), Describe and Health. Beyond `capacity` items in flight the server
// answers RESOURCE_EXHAUSTED: the client treats it as backpressure, not failure. With a
// certificate it serves TLS only (mTLS with a client CA); with a token every call must carry it.
import { setMaxListeners } from 'node:events';
import { Server, status, type Metadata, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import {
  BEARER_REFUSED, bearerMatches, operatorServiceDefinition, serverCredentials,
  type EchoBatchRequest, type EchoRequest, type EchoResponse, type HealthStatus, type OperatorDescription, type ServerChannelSecurity,
} from '../wire/index.ts';
import type { OperatorDefinition } from './define-operator.ts';
import { describeOperator, invokeBatch } from './invoke.ts';

export interface ServeOptions extends ServerChannelSecurity {
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * Items in flight (over all calls) before RESOURCE_EXHAUSTED. Default 256. Describe offers
   * batches of at most this many items, so one call of a client that follows it always fits.
   */
  capacity?: number;
  /** Deadline when the caller sets none (ms). Default 60 s. */
  defaultTimeoutMs?: number;
}

export interface OperatorServer {
  readonly port: number;
  readonly address: string;
  /** Whether it serves TLS (and so refuses plaintext clients). */
  readonly tls: boolean;
  close(): Promise<void>;
}

type Call<Req> = ServerUnaryCall<Req, unknown> & { getDeadline(): Date | number };

export async function serveOperators(defs: readonly OperatorDefinition[], options: ServeOptions): Promise<OperatorServer> {
  if (defs.length === 0) throw new TypeError('serveOperators needs at least one operator');
  const byName = new Map<string, OperatorDefinition>();
  for (const def of defs) {
    if (byName.has(def.name)) throw new TypeError(`operator \`${def.name}\` is served twice`);
    byName.set(def.name, def);
  }
  const capacity = options.capacity ?? 256;
  if (!Number.isInteger(capacity) || capacity < 1) throw new TypeError(`serveOperators \`capacity\` must be an integer ≥ 1, got ${capacity}`);
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 60_000;
  const credentials = serverCredentials(options);
  const token = options.token;
  const descriptions: OperatorDescription[] = defs.map((d) => ({ ...describeOperator(d), maxBatch: Math.min(d.maxBatch, capacity) }));
  let inFlight = 0;
  let closing = false;

  /** Admission shared by both calls: which operator, whether there is room; else the gRPC error. */
  const admit = (name: string, items: number): { def: OperatorDefinition } | { code: status; details: string } => {
    const def = name ? byName.get(name) : defs.length === 1 ? defs[0] : undefined;
    if (!def) return { code: status.UNIMPLEMENTED, details: `no operator \`${name}\` here (serving: ${[...byName.keys()].join(', ')})` };
    if (closing) return { code: status.UNAVAILABLE, details: 'refused: operator server is shutting down' };
    // One call bigger than the whole capacity is let in alone, so it cannot starve for ever.
    if (inFlight > 0 && inFlight + items > capacity) return { code: status.RESOURCE_EXHAUSTED, details: `operator \`${def.name}\` is at capacity (${inFlight} of ${capacity} items in flight)` };
    return { def };
  };

  /** The token check every method makes first; the refusal when it fails. */
  const refused = (metadata: Metadata): { code: status; details: string } | null => (token && !bearerMatches(metadata, token) ? { code: status.UNAUTHENTICATED, details: BEARER_REFUSED } : null);

  const run = <Req>(call: Call<Req>, name: string, requests: readonly EchoRequest[], reply: (res: EchoResponse[]) => void, fail: (err: { code: status; details: string }) => void): void => {
    const denied = refused(call.metadata);
    if (denied) return fail(denied);
    const admitted = admit(name, requests.length);
    if (!('def' in admitted)) return fail(admitted);
    const callDeadline = call.getDeadline();
    const deadline = callDeadline instanceof Date ? callDeadline.getTime() : Number.isFinite(callDeadline) ? Number(callDeadline) : Date.now() + defaultTimeoutMs;
    const controller = new AbortController();
    setMaxListeners(0, controller.signal); // one listener per item of the batch
    call.on('cancelled', () => controller.abort(new Error('call cancelled by client')));
    inFlight += requests.length;
    invokeBatch(admitted.def, requests, { deadline, signal: controller.signal })
      .then(reply, (err: unknown) => fail({ code: status.INTERNAL, details: String(err) }))
      .finally(() => {
        inFlight -= requests.length;
      });
  };

  const server = new Server({ 'grpc.max_receive_message_length': 256 << 20, 'grpc.max_send_message_length': 256 << 20 });
  server.addService(operatorServiceDefinition, {
    echo(call: Call<EchoRequest>, callback: sendUnaryData<EchoResponse>) {
      run(call, call.request.operator, [call.request], (res) => callback(null, res[0]), (err) => callback(err));
    },
    echoBatch(call: Call<EchoBatchRequest>, callback: sendUnaryData<EchoResponse[]>) {
      run(call, call.request.operator, call.request.items, (res) => callback(null, res), (err) => callback(err));
    },
    describe(call: ServerUnaryCall<unknown, OperatorDescription[]>, callback: sendUnaryData<OperatorDescription[]>) {
      const denied = refused(call.metadata);
      if (denied) callback(denied);
      else callback(null, descriptions);
    },
    health(call: ServerUnaryCall<unknown, HealthStatus>, callback: sendUnaryData<HealthStatus>) {
      const denied = refused(call.metadata);
      if (denied) callback(denied);
      else callback(null, { serving: !closing, inFlight, capacity });
    },
  });

  const host = options.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port}`, credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  return {
    port,
    address: `${host}:${port}`,
    tls: Boolean(options.tlsCert),
    async close() {
      closing = true;
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 5_000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
