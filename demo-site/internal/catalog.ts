// The demo site's image files: seeded photos in three formats, srcset/picture variants, exact and
// near duplicates, OCR text renders, and the hostile files.
import sharp from 'sharp';
import { decompressionBombPng, encode, nearDuplicate, oversizedPng, renderPhoto, renderText, truncate, type ImageFormat } from './images.ts';
import { createRandom, type Random } from './random.ts';
import type { SiteVersion } from './site-spec.ts';
import type { ImageFacts, Route } from './site-spec.ts';

export const PHOTO_COUNT = 20;
const EXT: Record<ImageFormat, string> = { png: 'png', jpeg: 'jpg', webp: 'webp' };
const MIME: Record<ImageFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };
export const IMAGE_MAX_BYTES = 8 * 1024 * 1024;
export const MAX_PIXELS = 100_000_000;

export const OCR_TEXTS = [
  { path: '/img/text-en-1.png', lang: 'en', text: 'QUARRY DEMO 2024', font: 'DejaVu Sans' },
  { path: '/img/text-en-2.png', lang: 'en', text: 'Image Search Platform', font: 'DejaVu Sans' },
  { path: '/img/text-zh-1.png', lang: 'zh', text: '图片搜索引擎', font: 'WenQuanYi Zen Hei' },
  { path: '/img/text-zh-2.png', lang: 'zh', text: '数据流水线平台', font: 'WenQuanYi Zen Hei' },
] as const;

/** `/img/photo-07.png` etc.: the path of pool photo `i` (1-based). */
export function photoPath(i: number): string {
  return `/img/photo-${String(i).padStart(2, '0')}.${EXT[photoFormat(i)]}`;
}

function photoFormat(i: number): ImageFormat {
  return (['jpeg', 'png', 'webp'] as const)[i % 3]!;
}

export async function buildCatalog(rng: Random, slowMs: number, version: SiteVersion = 1, seed = 0): Promise<Map<string, Route>> {
  const routes = new Map<string, Route>();
  const put = async (path: string, bytes: Buffer, facts: ImageFacts, extra: Partial<Extract<Route, { kind: 'file' }>> = {}): Promise<Buffer> => {
    const meta = facts.expect === 'ok' ? await sharp(bytes).metadata() : undefined;
    const format = meta?.format === 'jpeg' || meta?.format === 'png' || meta?.format === 'webp' ? meta.format : facts.format;
    const image: ImageFacts = { ...facts, ...(format ? { format } : {}), ...(meta?.width ? { width: meta.width, height: meta.height } : {}) };
    routes.set(path, { kind: 'file', status: 200, contentType: format ? MIME[format] : 'image/png', body: bytes, image, ...extra });
    return bytes;
  };

  const photos: Buffer[] = [];
  for (let i = 1; i <= PHOTO_COUNT; i += 1) {
    photos[i] = await put(photoPath(i), await renderPhoto(rng, rng.int(32, 48) * 10, rng.int(24, 36) * 10, photoFormat(i)), { expect: 'ok' });
  }
  const logo = await renderPhoto(rng, 240, 80, 'png');
  // From version 2 the logo has new bytes under the same URL (its own generator: nothing else moves).
  await put('/img/logo.png', version >= 2 ? await renderPhoto(createRandom(seed + 2), 240, 80, 'png') : logo, { expect: 'ok' });
  await put('/assets/shared/banner.png', await renderPhoto(rng, 480, 120, 'png'), { expect: 'ok' });

  // Variants of one scene at several sizes: srcset (w and x), lazy data-srcset, picture/source.
  const variants = async (big: Buffer, paths: [string, number, ImageFormat][]): Promise<void> => {
    for (const [path, width, format] of paths) await put(path, await encode(sharp(big).resize({ width }), format), { expect: 'ok' });
  };
  await variants(await renderPhoto(rng, 1200, 600, 'png'), [['/img/hero-600.jpg', 600, 'jpeg'], ['/img/hero-1200.jpg', 1200, 'jpeg']]);
  await variants(await renderPhoto(rng, 640, 480, 'png'), [['/img/photo-21.png', 320, 'png'], ['/img/photo-21@2x.png', 640, 'png']]);
  await variants(await renderPhoto(rng, 960, 640, 'png'), [['/img/photo-22-480.webp', 480, 'webp'], ['/img/photo-22-960.webp', 960, 'webp']]);
  await variants(await renderPhoto(rng, 800, 600, 'png'), [['/img/pic-23.webp', 400, 'webp'], ['/img/pic-23@2x.webp', 800, 'webp'], ['/img/pic-23.jpg', 400, 'jpeg']]);

  // The same bytes under another URL, and a resized/recompressed near-duplicate.
  await put('/cdn/v2/photo-03.jpg', photos[3]!, { expect: 'ok' });
  // From version 2 the CDN link redirects to another photo.
  if (version >= 2) routes.set('/cdn/v2/photo-03.jpg', { kind: 'redirect', status: 302, location: photoPath(4) });
  const small = await nearDuplicate(photos[5]!, 0.5);
  if (version < 3) await put('/img/photo-05-small.jpg', small, { expect: 'ok', nearDuplicateOf: photoPath(5) });
  // PNG bytes served as image/jpeg: sniffing must still accept it.
  const mislabeled = await renderPhoto(rng, 360, 240, 'png');
  routes.set('/img/mislabeled.jpg', { kind: 'file', status: 200, contentType: 'image/jpeg', body: mislabeled, image: { expect: 'ok', format: 'png', width: 360, height: 240 } });
  await put('/img/slow-photo.jpg', await renderPhoto(rng, 320, 240, 'jpeg'), { expect: 'ok' }, { delayMs: slowMs });

  for (const t of OCR_TEXTS) {
    const width = t.lang === 'zh' ? 120 * t.text.length : 40 * t.text.length;
    await put(t.path, await renderText(t.text, t.font, width, 120), { expect: 'ok', ocr: { lang: t.lang, text: t.text, font: t.font } });
  }

  // Hostile files.
  const notImage = Buffer.from('<!DOCTYPE html><html><head><title>Not an image</title></head><body><p>Sorry, this is a page.</p></body></html>');
  routes.set('/img/fake-photo.jpg', { kind: 'file', status: 200, contentType: 'text/html; charset=utf-8', body: notImage, image: { expect: 'not-an-image' } });
  routes.set('/img/fake-2.png', { kind: 'file', status: 200, contentType: 'image/png', body: notImage, image: { expect: 'not-an-image' } });
  routes.set('/img/huge.png', { kind: 'file', status: 200, contentType: 'image/png', body: await oversizedPng(rng, IMAGE_MAX_BYTES + 512 * 1024), image: { expect: 'too-large', format: 'png' } });
  routes.set('/img/bomb.png', { kind: 'file', status: 200, contentType: 'image/png', body: decompressionBombPng(), image: { expect: 'decompression-bomb', format: 'png', width: 40_000, height: 40_000 } });
  const whole = await renderPhoto(rng, 640, 480, 'jpeg');
  routes.set('/img/truncated.jpg', { kind: 'file', status: 200, contentType: 'image/jpeg', body: truncate(whole), image: { expect: 'truncated-image', format: 'jpeg' } });

  // Redirects: a 3-hop chain to a real photo, a loop, and a chain longer than the cap.
  routes.set('/r/chain-1.png', { kind: 'redirect', status: 302, location: '/r/chain-2.png' });
  routes.set('/r/chain-2.png', { kind: 'redirect', status: 301, location: '__ORIGIN__/r/chain-3.png' });
  routes.set('/r/chain-3.png', { kind: 'redirect', status: 307, location: photoPath(12) });
  routes.set('/r/loop-a.jpg', { kind: 'redirect', status: 302, location: '/r/loop-b.jpg' });
  routes.set('/r/loop-b.jpg', { kind: 'redirect', status: 302, location: '/r/loop-a.jpg' });
  for (let i = 0; i < 8; i += 1) routes.set(`/r/hop-${i}.png`, { kind: 'redirect', status: 302, location: i === 7 ? photoPath(13) : `/r/hop-${i + 1}.png` });
  return routes;
}
