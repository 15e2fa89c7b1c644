// Serve operators as a gRPC `quarry.v1.Operator` service. Beyond `capacity` concurrent calls the
// server answers RESOURCE_EXHAUSTED: the client treats it as backpressure, not failure.
import { Server, ServerCredentials, status, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { operatorServiceDefinition, type EchoRequest, type EchoResponse, type HealthStatus, type OperatorDescription } from '../wire/index.ts';
import type { OperatorDefinition } from './define-operator.ts';
import { describeOperator, invokeOperator } from './invoke.ts';

export interface ServeOptions {
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** Concurrent Echo calls before RESOURCE_EXHAUSTED. Default 16. */
  capacity?: number;
  /** Deadline when the caller sets none (ms). Default 60 s. */
  defaultTimeoutMs?: number;
}

export interface OperatorServer {
  readonly port: number;
  readonly address: string;
  close(): Promise<void>;
}

export async function serveOperators(defs: readonly OperatorDefinition[], options: ServeOptions): Promise<OperatorServer> {
  if (defs.length === 0) throw new TypeError('serveOperators needs at least one operator');
  const byName = new Map<string, OperatorDefinition>();
  for (const def of defs) {
    if (byName.has(def.name)) throw new TypeError(`operator \`${def.name}\` is served twice`);
    byName.set(def.name, def);
  }
  const capacity = options.capacity ?? 16;
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 60_000;
  const descriptions: OperatorDescription[] = defs.map(describeOperator);
  let inFlight = 0;
  let closing = false;

  const server = new Server({ 'grpc.max_receive_message_length': 64 << 20, 'grpc.max_send_message_length': 64 << 20 });
  server.addService(operatorServiceDefinition, {
    echo(call: ServerUnaryCall<EchoRequest, EchoResponse>, callback: sendUnaryData<EchoResponse>) {
      const req = call.request;
      const def = req.operator ? byName.get(req.operator) : defs.length === 1 ? defs[0] : undefined;
      if (!def) {
        callback({ code: status.UNIMPLEMENTED, details: `no operator \`${req.operator}\` here (serving: ${[...byName.keys()].join(', ')})` });
        return;
      }
      if (closing) {
        callback({ code: status.UNAVAILABLE, details: 'operator server is shutting down' });
        return;
      }
      if (inFlight >= capacity) {
        callback({ code: status.RESOURCE_EXHAUSTED, details: `operator \`${def.name}\` is at capacity (${capacity} in flight)` });
        return;
      }
      const callDeadline = call.getDeadline();
      const deadline = callDeadline instanceof Date ? callDeadline.getTime() : Number.isFinite(callDeadline) ? Number(callDeadline) : Date.now() + defaultTimeoutMs;
      const controller = new AbortController();
      call.on('cancelled', () => controller.abort(new Error('call cancelled by client')));
      inFlight += 1;
      invokeOperator(def, req, { deadline, signal: controller.signal })
        .then((res) => callback(null, res))
        .catch((err: unknown) => callback({ code: status.INTERNAL, details: String(err) }))
        .finally(() => {
          inFlight -= 1;
        });
    },
    describe(_call: ServerUnaryCall<unknown, OperatorDescription[]>, callback: sendUnaryData<OperatorDescription[]>) {
      callback(null, descriptions);
    },
    health(_call: ServerUnaryCall<unknown, HealthStatus>, callback: sendUnaryData<HealthStatus>) {
      callback(null, { serving: !closing, inFlight, capacity });
    },
  });

  const host = options.host ?? '127.0.0.1';
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port}`, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  return {
    port,
    address: `${host}:${port}`,
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
