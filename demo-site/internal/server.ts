// The loopback HTTP server for the demo site. Pages are templates: __ORIGIN__ and __HOST__ are
// filled in per request so absolute and protocol-relative URLs point back at this server.
import http from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { Route } from './site-spec.ts';

export interface RunningSite {
  origin: string;
  /** Serve another route table from now on (a new version of the site, same port). */
  swap(routes: ReadonlyMap<string, Route>): void;
  /** Paths requested, in order (query strings kept). */
  requests: string[];
  /** The same, with when each arrived. */
  requestLog: { path: string; atMs: number }[];
  close(): Promise<void>;
}

const NOT_FOUND = Buffer.from('<!DOCTYPE html><html><head><title>Not found</title></head><body><h1>404</h1></body></html>');

export async function serveRoutes(initial: ReadonlyMap<string, Route>, options: { host: string; port: number }): Promise<RunningSite> {
  let routes = initial;
  const requests: string[] = [];
  const requestLog: { path: string; atMs: number }[] = [];
  // Every file answers with an ETag, and a matching If-None-Match gets a 304: conditional GETs work.
  const etags = new WeakMap<Buffer, string>();
  const etagOf = (b: Buffer) => {
    let e = etags.get(b);
    if (e === undefined) etags.set(b, (e = `"${createHash('sha256').update(b).digest('hex').slice(0, 20)}"`));
    return e;
  };
  const timers = new Set<NodeJS.Timeout>();
  let origin = '';
  const server = http.createServer((req, res) => {
    const target = req.url ?? '/';
    requests.push(target);
    requestLog.push({ path: target, atMs: Date.now() });
    const path = decodeURIComponent(target.split('?')[0]!);
    const route = routes.get(path);
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8', 'content-length': NOT_FOUND.length });
      res.end(req.method === 'HEAD' ? undefined : NOT_FOUND);
      return;
    }
    if (route.kind === 'redirect') {
      res.writeHead(route.status, { location: route.location.replace('__ORIGIN__', origin), 'content-length': 0 });
      res.end();
      return;
    }
    const etag = etagOf(route.body);
    if (req.headers['if-none-match'] === etag && route.status === 200) {
      res.writeHead(304, { etag, 'cache-control': 'no-cache' });
      res.end();
      return;
    }
    let body = route.template ? Buffer.from(route.body.toString('utf8').replaceAll('__ORIGIN__', origin).replaceAll('__HOST__', new URL(origin).host)) : route.body;
    const headers: http.OutgoingHttpHeaders = { 'content-type': route.contentType, 'cache-control': 'no-cache', etag };
    if (route.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
      body = gzipSync(body);
      headers['content-encoding'] = 'gzip';
    }
    headers['content-length'] = body.length;
    const send = (): void => {
      res.writeHead(route.status, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (!route.delayMs) return send();
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) send();
    }, route.delayMs);
    timers.add(timer);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  origin = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    origin,
    requests,
    requestLog,
    swap: (next) => {
      routes = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
