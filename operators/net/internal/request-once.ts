// One HTTP GET with no redirect following: guarded connect, connect/read timeouts, abort signal,
// capped and decoded body. Redirect responses come back unread so the caller can vet the hop.
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { AddressGuard } from './address-guard.ts';
import { isIpLiteral, stripBrackets } from './address-guard.ts';
import { FetchError } from './fetch-error.ts';
import { guardedLookup, type Resolver } from './guarded-lookup.ts';
import { readBody } from './read-body.ts';

export interface RequestOnceOptions {
  guard: AddressGuard;
  resolver: Resolver;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  maxBytes: number;
  headers: Record<string, string>;
  signal: AbortSignal | undefined;
  ca: string | readonly string[] | undefined;
}

export type OnceResult =
  | { kind: 'redirect'; status: number; location: string }
  | { kind: 'response'; status: number; headers: Record<string, string>; body: Uint8Array };

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export function requestOnce(url: URL, options: RequestOnceOptions): Promise<OnceResult> {
  const href = url.href;
  // Literal IPs never reach `lookup`, so vet them here, before any socket exists.
  if (isIpLiteral(url.hostname)) {
    const range = options.guard.blockedRange(url.hostname);
    if (range !== undefined) {
      return Promise.reject(new FetchError('SSRF_BLOCKED', href, `Address ${stripBrackets(url.hostname)} is in the ${range} range, which is not allowed`));
    }
  }
  if (options.signal?.aborted) return Promise.reject(new FetchError('ABORTED', href, 'Fetch aborted before it started'));

  return new Promise<OnceResult>((resolve, reject) => {
    let failure: FetchError | undefined;
    let idle: NodeJS.Timeout | undefined;
    const transport = url.protocol === 'https:' ? https : http;
    const req = transport.request(url, {
      method: 'GET',
      agent: false,
      headers: options.headers,
      lookup: guardedLookup(options.guard, href, options.resolver),
      ...(options.ca === undefined ? {} : { ca: typeof options.ca === 'string' ? options.ca : [...options.ca] }),
    });
    const fail = (err: FetchError): void => {
      failure ??= err;
      req.destroy(failure);
    };
    const armIdle = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => fail(new FetchError('TIMEOUT', href, `No data for ${options.readTimeoutMs} ms`)), options.readTimeoutMs);
    };
    const connectTimer = setTimeout(
      () => fail(new FetchError('TIMEOUT', href, `Could not connect within ${options.connectTimeoutMs} ms`)),
      options.connectTimeoutMs,
    );
    const onAbort = (): void => fail(new FetchError('ABORTED', href, 'Fetch aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => {
      clearTimeout(connectTimer);
      clearTimeout(idle);
      options.signal?.removeEventListener('abort', onAbort);
    };

    req.on('socket', (socket: Socket) => {
      socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => {
        clearTimeout(connectTimer);
        // Belt and braces: the peer we actually reached must pass the guard too.
        const peer = socket.remoteAddress;
        const range = peer === undefined ? 'unknown' : options.guard.blockedRange(peer);
        if (range !== undefined) return fail(new FetchError('SSRF_BLOCKED', href, `Connected peer ${peer} is in the ${range} range`));
        armIdle();
      });
    });

    req.on('error', (err) => {
      cleanup();
      reject(failure ?? classify(err, href));
    });

    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (REDIRECT_STATUSES.has(status) && typeof location === 'string' && location !== '') {
        cleanup();
        res.resume();
        req.destroy();
        resolve({ kind: 'redirect', status, location });
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        return fail(new FetchError('TOO_LARGE', href, `Content-Length ${declared} exceeds ${options.maxBytes} bytes`));
      }
      armIdle();
      readBody(res, { url: href, maxBytes: options.maxBytes, encoding: res.headers['content-encoding'], onChunk: armIdle }).then(
        (body) => {
          cleanup();
          resolve({ kind: 'response', status, headers: flattenHeaders(res.headers), body });
        },
        (err: unknown) => {
          if (err instanceof FetchError) failure ??= err;
          req.destroy();
          cleanup();
          reject(failure ?? classify(err, href));
        },
      );
    });
    req.end();
  });
}

function classify(err: unknown, href: string): FetchError {
  if (err instanceof FetchError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = e.code ?? '';
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code.startsWith('ERR_TLS') || code.includes('CERT')) {
    return new FetchError('CONNECT_FAILED', href, `Cannot connect: ${code || e.message}`, { cause: err, retryable: !code.includes('CERT') });
  }
  return new FetchError('READ_FAILED', href, `Connection failed while reading: ${code || e.message}`, { cause: err });
}

function flattenHeaders(raw: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
