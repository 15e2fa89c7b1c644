import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { TEST_CERT, TEST_KEY } from './tls-fixture.test-helper.ts';
import { safeFetch, createAddressGuard, type FetchError, type SafeFetchOptions } from './index.ts';

const LOOPBACK = ['127.0.0.0/8'];
let server: http.Server;
let base: string;
let hits: string[] = [];

function opts(extra: Partial<SafeFetchOptions> = {}): SafeFetchOptions {
  return { allowPrivate: LOOPBACK, connectTimeoutMs: 2_000, readTimeoutMs: 2_000, maxBytes: 100_000, maxRedirects: 5, ...extra };
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<FetchError> {
  try {
    await p;
  } catch (err) {
    assert.equal((err as FetchError).code, code, `expected ${code}, got ${(err as Error).message}`);
    return err as FetchError;
  }
  assert.fail(`expected ${code}, but it resolved`);
}

before(async () => {
  server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    hits.push(path);
    const big = Buffer.alloc(500_000, 'a');
    switch (path) {
      case '/ok': res.setHeader('content-type', 'text/plain'); return res.end('hello');
      case '/redir/1': res.writeHead(302, { location: '/redir/2' }); return res.end();
      case '/redir/2': res.writeHead(301, { location: `${base}/ok` }); return res.end();
      case '/loop/a': res.writeHead(302, { location: '/loop/b' }); return res.end();
      case '/loop/b': res.writeHead(302, { location: '/loop/a' }); return res.end();
      case '/to-private': res.writeHead(302, { location: 'http://10.0.0.1/secret' }); return res.end();
      case '/to-file': res.writeHead(302, { location: 'file:///etc/passwd' }); return res.end();
      case '/big': return res.end(big);
      case '/big-chunked': res.write(big.subarray(0, 60_000)); res.write(big.subarray(60_000)); return res.end();
      case '/gzip': res.setHeader('content-encoding', 'gzip'); return res.end(zlib.gzipSync('gzipped text'));
      case '/br': res.setHeader('content-encoding', 'br'); return res.end(zlib.brotliCompressSync('brotli text'));
      case '/deflate': res.setHeader('content-encoding', 'deflate'); return res.end(zlib.deflateSync('deflate text'));
      case '/deflate-raw': res.setHeader('content-encoding', 'deflate'); return res.end(zlib.deflateRawSync('raw deflate text'));
      case '/bomb': res.setHeader('content-encoding', 'gzip'); return res.end(zlib.gzipSync(Buffer.alloc(5_000_000)));
      case '/bad-gzip': res.setHeader('content-encoding', 'gzip'); return res.end('not gzip at all');
      case '/weird-encoding': res.setHeader('content-encoding', 'zstd-x'); return res.end('x');
      case '/slow-headers': setTimeout(() => res.end('late'), 1_500).unref(); return;
      case '/stall-body': res.write('partial'); setTimeout(() => res.end('!'), 1_500).unref(); return;
      case '/cut': res.writeHead(200, { 'content-length': 1000 }); res.write('only a little'); setTimeout(() => res.destroy(), 20).unref(); return;
      case '/404': res.writeHead(404); return res.end('nope');
      default: res.writeHead(500); return res.end('?');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

describe('safeFetch', () => {
  it('fetches a body with status and headers', async () => {
    const res = await safeFetch(`${base}/ok`, opts());
    assert.equal(res.status, 200);
    assert.equal(Buffer.from(res.body).toString(), 'hello');
    assert.equal(res.headers['content-type'], 'text/plain');
    assert.deepEqual(res.redirects, []);
    assert.equal(res.finalUrl, `${base}/ok`);
  });

  it('returns 4xx/5xx as statuses, not errors', async () => {
    assert.equal((await safeFetch(`${base}/404`, opts())).status, 404);
    assert.equal((await safeFetch(`${base}/500`, opts())).status, 500);
  });

  it('follows relative and absolute redirects and records the chain', async () => {
    const res = await safeFetch(`${base}/redir/1`, opts());
    assert.equal(res.finalUrl, `${base}/ok`);
    assert.deepEqual(res.redirects, [`${base}/redir/1`, `${base}/redir/2`]);
  });

  it('caps redirects', async () => {
    await rejectsWith(safeFetch(`${base}/redir/1`, opts({ maxRedirects: 1 })), 'TOO_MANY_REDIRECTS');
  });

  it('detects redirect loops', async () => {
    const err = await rejectsWith(safeFetch(`${base}/loop/a`, opts({ maxRedirects: 20 })), 'REDIRECT_LOOP');
    assert.match(err.message, /loop\/a -> .*loop\/b -> .*loop\/a/);
  });

  it('blocks loopback unless allowlisted, before connecting', async () => {
    hits = [];
    await rejectsWith(safeFetch(`${base}/ok`, opts({ allowPrivate: [] })), 'SSRF_BLOCKED');
    assert.deepEqual(hits, [], 'the server must never see the request');
  });

  it('re-checks every redirect hop against the guard', async () => {
    await rejectsWith(safeFetch(`${base}/to-private`, opts()), 'SSRF_BLOCKED');
    await rejectsWith(safeFetch(`${base}/to-file`, opts()), 'BAD_URL');
  });

  it('blocks private literals in every notation without touching the network', async () => {
    for (const url of [
      'http://10.1.2.3/', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]/', 'http://[fd00::1]/',
      'http://100.64.0.1/', 'http://0.0.0.0/', 'http://224.0.0.1/', 'http://[::ffff:127.0.0.1]/',
      'http://2130706433/', 'http://0x7f.0.0.1/', 'http://192.168.1.1/', 'http://[fe80::1]/',
    ]) {
      await rejectsWith(safeFetch(url, opts({ allowPrivate: [] })), 'SSRF_BLOCKED');
    }
  });

  it('checks every resolved address: one private answer blocks the host', async () => {
    const resolver = async () => [{ address: '93.184.216.34', family: 4 }, { address: '127.0.0.1', family: 4 }];
    const err = await rejectsWith(safeFetch('http://rebind.example/', opts({ allowPrivate: [], resolver })), 'SSRF_BLOCKED');
    assert.match(err.message, /rebind\.example.*127\.0\.0\.1.*loopback/);
  });

  it('connects through a resolved name only to the addresses it checked', async () => {
    const port = (server.address() as AddressInfo).port;
    const resolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const res = await safeFetch(`http://demo.test:${port}/ok`, opts({ resolver }));
    assert.equal(Buffer.from(res.body).toString(), 'hello');
  });

  it('refuses bad URLs with a message naming them', async () => {
    const e1 = await rejectsWith(safeFetch('ftp://example.com/x', opts()), 'BAD_URL');
    assert.match(e1.message, /ftp:\/\/example\.com\/x/);
    await rejectsWith(safeFetch('not a url', opts()), 'BAD_URL');
    await rejectsWith(safeFetch('javascript:alert(1)', opts()), 'BAD_URL');
    const e2 = await rejectsWith(safeFetch('http://user:pw@127.0.0.1/', opts()), 'BAD_URL');
    assert.doesNotMatch(e2.message, /pw/);
  });

  it('caps size by Content-Length and while streaming', async () => {
    await rejectsWith(safeFetch(`${base}/big`, opts()), 'TOO_LARGE');
    await rejectsWith(safeFetch(`${base}/big-chunked`, opts()), 'TOO_LARGE');
    assert.equal((await safeFetch(`${base}/big`, opts({ maxBytes: 1_000_000 }))).body.length, 500_000);
  });

  it('decodes gzip, br, deflate (zlib and raw)', async () => {
    const text = async (p: string) => Buffer.from((await safeFetch(`${base}${p}`, opts())).body).toString();
    assert.equal(await text('/gzip'), 'gzipped text');
    assert.equal(await text('/br'), 'brotli text');
    assert.equal(await text('/deflate'), 'deflate text');
    assert.equal(await text('/deflate-raw'), 'raw deflate text');
  });

  it('applies the size cap after decoding (compression bomb)', async () => {
    await rejectsWith(safeFetch(`${base}/bomb`, opts()), 'TOO_LARGE');
  });

  it('reports undecodable and unsupported encodings', async () => {
    await rejectsWith(safeFetch(`${base}/bad-gzip`, opts()), 'DECODE_FAILED');
    await rejectsWith(safeFetch(`${base}/weird-encoding`, opts()), 'UNSUPPORTED_ENCODING');
  });

  it('times out waiting for headers and on a stalled body, retryably', async () => {
    const e1 = await rejectsWith(safeFetch(`${base}/slow-headers`, opts({ readTimeoutMs: 200 })), 'TIMEOUT');
    assert.equal(e1.retryable, true);
    await rejectsWith(safeFetch(`${base}/stall-body`, opts({ readTimeoutMs: 200 })), 'TIMEOUT');
  });

  it('times out a connect phase (DNS + TCP) that never completes', async () => {
    const resolver = () => new Promise<never>(() => {}); // a DNS server that never answers
    const err = await rejectsWith(safeFetch('http://stuck.test/', opts({ resolver, connectTimeoutMs: 200 })), 'TIMEOUT');
    assert.equal(err.retryable, true);
    assert.match(err.message, /connect within 200 ms/);
  });

  it('fails to connect to a closed port, retryably', async () => {
    const closed = await freePort();
    const err = await rejectsWith(safeFetch(`http://127.0.0.1:${closed}/`, opts()), 'CONNECT_FAILED');
    assert.equal(err.retryable, true);
  });

  it('reports a connection cut mid-body as a retryable read failure', async () => {
    const err = await rejectsWith(safeFetch(`${base}/cut`, opts()), 'READ_FAILED');
    assert.equal(err.retryable, true);
  });

  it('speaks https through the same guard, and refuses an untrusted certificate', async () => {
    const tls = https.createServer({ key: TEST_KEY, cert: TEST_CERT }, (_req, res) => res.end('secret ok'));
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/`;
    try {
      const res = await safeFetch(url, opts({ ca: TEST_CERT }));
      assert.equal(Buffer.from(res.body).toString(), 'secret ok');
      const bad = await rejectsWith(safeFetch(url, opts()), 'CONNECT_FAILED');
      assert.equal(bad.retryable, false, 'a certificate problem does not heal by retrying');
      await rejectsWith(safeFetch(url, opts({ ca: TEST_CERT, allowPrivate: [] })), 'SSRF_BLOCKED');
    } finally {
      tls.close();
    }
  });

  it('honours an abort signal', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100).unref();
    await rejectsWith(safeFetch(`${base}/slow-headers`, opts({ signal: ac.signal })), 'ABORTED');
  });
});

describe('createAddressGuard', () => {
  it('allows public unicast, blocks special ranges, honours the allowlist', () => {
    const g = createAddressGuard([]);
    assert.equal(g.blockedRange('93.184.216.34'), undefined);
    assert.equal(g.blockedRange('2606:2800:220:1:248:1893:25c8:1946'), undefined);
    assert.equal(g.blockedRange('127.0.0.1'), 'loopback');
    assert.equal(g.blockedRange('10.0.0.1'), 'private');
    assert.equal(g.blockedRange('100.100.0.1'), 'carrierGradeNat');
    assert.equal(g.blockedRange('::ffff:192.168.0.1'), 'private');
    assert.equal(g.blockedRange('fc00::1'), 'uniqueLocal');
    assert.equal(createAddressGuard(['127.0.0.0/8']).blockedRange('127.0.0.1'), undefined);
    assert.equal(createAddressGuard(['127.0.0.0/8']).blockedRange('::1'), 'loopback');
  });

  it('lists every bad CIDR in one ConfigError', () => {
    assert.throws(() => createAddressGuard(['nope', '127.0.0.0/8', '10.0.0.0/99']), (err: Error) => {
      assert.match(err.message, /allowPrivate\[0\]/);
      assert.match(err.message, /allowPrivate\[2\]/);
      return true;
    });
  });
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
