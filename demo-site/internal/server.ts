// The loopback HTTP server for the demo site. Pages are templates: __ORIGIN__ and __HOST__ are
// filled in per request so absolute and protocol-relative URLs point back at this server.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { Route } from './site-spec.ts';

export interface RunningSite {
  origin: string;
  /** Paths requested, in order (query strings kept). */
  requests: string[];
  close(): Promise<void>;
}

const NOT_FOUND = Buffer.from('<!DOCTYPE html><html><head><title>Not found</title></head><body><h1>404</h1></body></html>');

export async function serveRoutes(routes: ReadonlyMap<string, Route>, options: { host: string; port: number }): Promise<RunningSite> {
  const requests: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let origin = '';
  const server = http.createServer((req, res) => {
    const target = req.url ?? '/';
    requests.push(target);
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
    let body = route.template ? Buffer.from(route.body.toString('utf8').replaceAll('__ORIGIN__', origin).replaceAll('__HOST__', new URL(origin).host)) : route.body;
    const headers: http.OutgoingHttpHeaders = { 'content-type': route.contentType, 'cache-control': 'no-store' };
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
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
