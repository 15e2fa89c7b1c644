import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { mockOperatorContext } from '../../framework/testing/index.ts';
import { errorCode } from '../../framework/errors/index.ts';
import { createImageSpiderOperator, sniffImageType, type ImageSpiderOptions } from './index.ts';
import { bmp, body, bombPng, photo, serve } from './internal/fixtures.test-helper.ts';

const LOOPBACK = ['127.0.0.0/8'];
const base: Omit<ImageSpiderOptions, 'allowPrivate'> = { maxBytes: 200_000, maxPixels: 4_000_000, timeouts: { connectMs: 1_000, readMs: 300 }, now: () => 1_700_000_000_000 };
const spider = createImageSpiderOperator({ ...base, allowPrivate: LOOPBACK });
const fetchImage = (url: string, attempt = 0, op = spider) => op.handler({ url }, mockOperatorContext({ attempt }));

let site: Awaited<ReturnType<typeof serve>>;
const images: Record<string, Buffer> = {};
const hung: import('node:http').ServerResponse[] = [];

before(async () => {
  for (const f of ['jpeg', 'png', 'webp', 'gif', 'avif', 'tiff'] as const) images[f] = await photo(f);
  const jpeg = images.jpeg!;
  const png = images.png!;
  site = await serve({
    ...Object.fromEntries(Object.entries(images).map(([f, bytes]) => [`/ok.${f}`, body(bytes, 'application/octet-stream')])),
    '/html.jpg': body('<!doctype html><html><body>Please log in</body></html>', 'image/jpeg'),
    '/truncated.jpg': body(jpeg.subarray(0, Math.floor(jpeg.length * 0.6)), 'image/jpeg'),
    '/truncated.png': body(png.subarray(0, Math.floor(png.length * 0.6)), 'image/png'),
    '/bomb.png': body(bombPng(60_000), 'image/png'),
    '/big.jpg': body(Buffer.concat([jpeg, Buffer.alloc(300_000)]), 'image/jpeg'),
    '/logo.svg': body('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', 'image/svg+xml'),
    '/old.bmp': body(bmp(), 'image/bmp'),
    '/gone.jpg': body('gone', 'text/plain', 410),
    '/busy.jpg': body('busy', 'text/plain', 503),
    '/hang.jpg': (res) => void hung.push(res),
    '/moved.jpg': (res) => res.writeHead(301, { location: '/ok.jpeg' }).end(),
    '/tagged.jpg': (res, req) => (req.headers['if-none-match'] === '"t1"' ? res.writeHead(304, { etag: '"t1"' }).end() : res.writeHead(200, { 'content-type': 'image/jpeg', etag: '"t1"' }).end(jpeg)),
    '/trickle.jpg': (res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      let i = 0;
      const timer = setInterval(() => (i < jpeg.length ? res.write(jpeg.subarray(i, (i += 16))) : res.end()), 50);
      res.on('close', () => clearInterval(timer));
    },
    '/loop-a': (res) => res.writeHead(302, { location: '/loop-b' }).end(),
    '/loop-b': (res) => res.writeHead(302, { location: '/loop-a' }).end(),
  });
});
after(async () => {
  for (const res of hung) res.destroy();
  await site.close();
});

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

async function assertFiltered(promise: Promise<unknown>, reason: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.equal(errorCode(err), 'FILTERED', String(err));
    assert.equal((err as { reason: string }).reason, reason, String(err));
    if (message) assert.match((err as Error).message, message);
    return true;
  });
}

test('accepts JPEG, PNG, WebP, GIF, AVIF and TIFF by magic bytes, whatever the content-type', async () => {
  const mimes = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', avif: 'image/avif', tiff: 'image/tiff' };
  for (const [format, mime] of Object.entries(mimes)) {
    const out = await fetchImage(`${site.base}/ok.${format}`);
    const bytes = images[format]!;
    assert.deepEqual(
      { ...out, image: Buffer.from(out.image!) },
      { linkStatus: 'alive', httpStatus: 200, contentSign: sha256(bytes), mime, byteLength: bytes.length, knownContent: false, fetchedAtMs: 1_700_000_000_000, image: bytes },
      format,
    );
  }
});

test('follows redirects to the image', async () => {
  const out = await fetchImage(`${site.base}/moved.jpg`);
  assert.equal(out.linkStatus, 'alive');
  assert.equal(out.contentSign, sha256(images.jpeg!));
});

test('HTML behind an image URL is not-an-image, naming what came back', async () => {
  await assertFiltered(fetchImage(`${site.base}/html.jpg`), 'not-an-image', /returned HTML .*content-type image\/jpeg/);
});

test('truncated JPEG and PNG are truncated-image', async () => {
  await assertFiltered(fetchImage(`${site.base}/truncated.jpg`), 'truncated-image', /truncated jpeg/);
  await assertFiltered(fetchImage(`${site.base}/truncated.png`), 'truncated-image', /truncated png/);
});

test('a header declaring too many pixels is a decompression-bomb, refused before decoding', async () => {
  await assertFiltered(fetchImage(`${site.base}/bomb.png`), 'decompression-bomb', /60000×60000 = 3600000000 px, over the limit of 4000000 px/);
});

test('a body over maxBytes is too-large', async () => {
  await assertFiltered(fetchImage(`${site.base}/big.jpg`), 'too-large');
});

test('SVG and BMP are recognised and refused as unsupported-image-type', async () => {
  await assertFiltered(fetchImage(`${site.base}/logo.svg`), 'unsupported-image-type', /image\/svg\+xml/);
  await assertFiltered(fetchImage(`${site.base}/old.bmp`), 'unsupported-image-type', /image\/bmp/);
});

test('a 4xx is a dead link at once, not an error', async () => {
  assert.deepEqual(await fetchImage(`${site.base}/gone.jpg`), { linkStatus: 'dead', deadReason: 'http-410', httpStatus: 410, knownContent: false, fetchedAtMs: 1_700_000_000_000 });
  assert.equal((await fetchImage(`${site.base}/missing.jpg`)).deadReason, 'http-404');
});

test('503 and timeouts are retried until attempt 2, then recorded dead', async () => {
  for (const attempt of [0, 1]) {
    await assert.rejects(fetchImage(`${site.base}/busy.jpg`, attempt), (err: unknown) => errorCode(err) === 'HTTP_TRANSIENT' && (err as { retryable: boolean }).retryable);
    await assert.rejects(fetchImage(`${site.base}/hang.jpg`, attempt), (err: unknown) => errorCode(err) === 'TIMEOUT' && (err as { retryable: boolean }).retryable);
  }
  assert.deepEqual(await fetchImage(`${site.base}/busy.jpg`, 2), { linkStatus: 'dead', deadReason: 'http-503', httpStatus: 503, knownContent: false, fetchedAtMs: 1_700_000_000_000 });
  const timedOut = await fetchImage(`${site.base}/hang.jpg`, 2);
  assert.deepEqual([timedOut.linkStatus, timedOut.deadReason, timedOut.httpStatus], ['dead', 'timeout', 0]);
});

test('a refused connection is dead (connect-failed) after the attempt budget', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as { port: number }).port;
  await new Promise<void>((r) => closed.close(() => r()));
  await assert.rejects(fetchImage(`http://127.0.0.1:${port}/x.jpg`, 0), (err: unknown) => errorCode(err) === 'CONNECT_FAILED');
  assert.equal((await fetchImage(`http://127.0.0.1:${port}/x.jpg`, 2)).deadReason, 'connect-failed');
});

test('redirect loops, bad URLs and private targets are filtered', async () => {
  await assertFiltered(fetchImage(`${site.base}/loop-a`), 'redirect-loop');
  await assertFiltered(fetchImage('not a url'), 'bad-url');
  await assertFiltered(fetchImage('ftp://127.0.0.1/a.jpg'), 'bad-url');
  const guarded = createImageSpiderOperator(base);
  await assertFiltered(fetchImage(`${site.base}/ok.jpeg`, 0, guarded), 'ssrf-blocked');
});

test('a known content sign returns knownContent without the bytes; a failing lookup fails open', async () => {
  const asked: string[] = [];
  const known = createImageSpiderOperator({ ...base, allowPrivate: LOOPBACK, knownContent: { hasFeatures: async (s) => (asked.push(s), s === sha256(images.png!)) } });
  const hit = await fetchImage(`${site.base}/ok.png`, 0, known);
  assert.equal(hit.knownContent, true);
  assert.equal(hit.image, undefined);
  assert.equal(hit.contentSign, sha256(images.png!));
  const miss = await fetchImage(`${site.base}/ok.jpeg`, 0, known);
  assert.equal(miss.knownContent, false);
  assert.ok(miss.image);
  assert.deepEqual(asked, [sha256(images.png!), sha256(images.jpeg!)]);

  const broken = createImageSpiderOperator({ ...base, allowPrivate: LOOPBACK, knownContent: { hasFeatures: async () => { throw new Error('relation store down'); } } });
  const ctx = mockOperatorContext();
  const out = await broken.handler({ url: `${site.base}/ok.png` }, ctx);
  assert.equal(out.knownContent, false);
  assert.ok(out.image);
  assert.match(ctx.logs[0]?.message ?? '', /known-content lookup failed/);
});

test('sniffing tells images from look-alikes', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.equal(sniffImageType(enc('<html><body>x</body></html>')), null);
  assert.equal(sniffImageType(new Uint8Array(0)), null);
  assert.equal(sniffImageType(enc('\uFEFF  <svg xmlns="http://www.w3.org/2000/svg"/>'))?.format, 'svg');
  assert.equal(sniffImageType(enc('<?xml version="1.0"?><rss/>')), null);
  const mp4 = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypisom\0\0\0\0isomiso2', 'latin1')]);
  assert.equal(sniffImageType(mp4), null);
  const heic = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1')]);
  assert.deepEqual(sniffImageType(heic), { format: 'heic', mime: 'image/heic', supported: false });
});

test('bad options are reported all at once', () => {
  assert.throws(
    () => createImageSpiderOperator({ maxBytes: 0, maxPixels: 1.5, timeouts: { connectMs: -1, readMs: 100 } }),
    /`maxBytes` to be an integer ≥ 1, got `0`[\s\S]*`maxPixels` to be an integer ≥ 1, got `1.5`[\s\S]*`timeouts.connectMs`/,
  );
});

test('a known link is fetched conditionally: a 304 keeps its content, with no bytes', async () => {
  const first = await fetchImage(`${site.base}/tagged.jpg`);
  assert.equal(first.etag, '"t1"');
  const known = createImageSpiderOperator({ ...base, allowPrivate: LOOPBACK, knownContent: { hasFeatures: async () => true, validators: async () => ({ sign: first.contentSign!, etag: '"t1"' }) } });
  const again = await fetchImage(`${site.base}/tagged.jpg`, 0, known);
  assert.deepEqual([again.linkStatus, again.httpStatus, again.notModified, again.contentSign, again.image], ['alive', 304, true, first.contentSign, undefined]);
});

test('a deadline shorter than the budget ends the fetch DEADLINE_EXCEEDED (a retry): the link is not called dead', async () => {
  const slow = createImageSpiderOperator({ ...base, now: Date.now, allowPrivate: LOOPBACK, totalTimeoutMs: 15_000, timeouts: { connectMs: 1_000, readMs: 5_000 } });
  await assert.rejects(slow.handler({ url: `${site.base}/trickle.jpg` }, mockOperatorContext({ timeoutMs: 700 })), (err: Error & { code?: string; retryable?: boolean }) => {
    assert.deepEqual([err.code, err.retryable], ['DEADLINE_EXCEEDED', true]);
    return true;
  });
});

test('an image trickling past its budget is dead as too-slow at once, whatever the attempt', async () => {
  const slow = createImageSpiderOperator({ ...base, allowPrivate: LOOPBACK, totalTimeoutMs: 300, timeouts: { connectMs: 1_000, readMs: 5_000 } });
  const out = await fetchImage(`${site.base}/trickle.jpg`, 0, slow);
  assert.deepEqual([out.linkStatus, out.deadReason], ['dead', 'too-slow']);
});
