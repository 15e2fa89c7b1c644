// Counters a peer process keeps about itself, by patching the client libraries every peer shares
// (so Quarry, BullMQ and raw Streams are counted by the same code, not by their own claims):
// * Redis: every ioredis client of the process (BullMQ `require`s the same ioredis module).
//   A round trip is one write to a Redis socket: a standalone command is one write, a pipeline
//   or MULTI is one write for all its commands (ioredis flushes a pipeline in one `write`).
//   Commands are counted when they are put on the wire, by name.
// * gRPC: calls handled by every grpc-js server of the process, by method (Echo, EchoBatch, …).
import { createRequire } from 'node:module';

export interface Counters {
  redisRoundTrips: number;
  redisCommands: number;
  redisByCommand: Record<string, number>;
  grpcByMethod: Record<string, number>;
}

const counters: Counters = { redisRoundTrips: 0, redisCommands: 0, redisByCommand: {}, grpcByMethod: {} };

export function takeCounters(): Counters {
  const out = structuredClone(counters);
  counters.redisRoundTrips = 0;
  counters.redisCommands = 0;
  counters.redisByCommand = {};
  counters.grpcByMethod = {};
  return out;
}

const require = createRequire(import.meta.url);
const WRAPPED = Symbol('bench-counted');

interface RedisLike {
  stream?: { write: (...args: unknown[]) => boolean; [WRAPPED]?: true };
  commandQueue: { length: number };
}
interface CommandLike {
  name: string;
}

export function instrumentRedis(): void {
  const { Redis } = require('ioredis') as { Redis: { prototype: Record<string, unknown> } };
  const proto = Redis.prototype as { sendCommand: (this: RedisLike, c: CommandLike, s?: unknown) => unknown; [WRAPPED]?: true };
  if (proto[WRAPPED]) return;
  proto[WRAPPED] = true;
  const send = proto.sendCommand;
  proto.sendCommand = function (this: RedisLike, command: CommandLike, stream?: unknown) {
    const socket = this.stream;
    if (socket && !socket[WRAPPED]) {
      const write = socket.write;
      socket.write = function (this: unknown, ...args: unknown[]) {
        counters.redisRoundTrips++;
        return write.apply(this, args);
      };
      socket[WRAPPED] = true;
    }
    // A command goes on the wire now if ioredis queues it for a reply; otherwise it waits in the
    // offline queue and comes through here again when the connection is ready.
    const before = this.commandQueue.length;
    const out = send.call(this, command, stream);
    if (this.commandQueue.length > before) {
      counters.redisCommands++;
      counters.redisByCommand[command.name] = (counters.redisByCommand[command.name] ?? 0) + 1;
    }
    return out;
  };
}

type Handler = (call: unknown, callback: unknown) => unknown;

export function instrumentGrpcServers(): void {
  const { Server } = require('@grpc/grpc-js') as { Server: { prototype: Record<string, unknown> } };
  const proto = Server.prototype as { addService: (def: Record<string, { originalName?: string }>, impl: Record<string, Handler>) => void; [WRAPPED]?: true };
  if (proto[WRAPPED]) return;
  proto[WRAPPED] = true;
  const add = proto.addService;
  proto.addService = function (this: unknown, def, impl) {
    const counted: Record<string, Handler> = {};
    for (const [name, fn] of Object.entries(impl)) {
      counted[name] = function (this: unknown, call, callback) {
        counters.grpcByMethod[name] = (counters.grpcByMethod[name] ?? 0) + 1;
        return fn.call(this, call, callback);
      };
    }
    add.call(this, def, counted);
  };
}
