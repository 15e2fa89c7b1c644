// Rendered test images for the OCR tests, and the accuracy measure they are held to. Fonts: DejaVu
// (fonts-dejavu-core) for English and a CJK font (fonts-wqy-zenhei or fonts-noto-cjk) for Chinese;
// a missing font fails the tests that need it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** Accuracy each language must reach: 1 − Levenshtein / max length, over the joined text. */
export const MIN_ACCURACY = 0.9;

export const ENGLISH = [
  'The quick brown fox jumps over the lazy dog.',
  'Invoice 2024-0173: total due $1,284.50',
  'Open Monday to Friday, 9am - 5pm',
  'Please keep your ticket until the end of the trip.',
];
export const ENGLISH_FAINT = ['Quarterly report: revenue grew 12% to $4.7 million', 'Customer service: call +1 (555) 010-2233', 'Warning! Do not lean against the doors.'];
export const CHINESE = ['今天天气很好，我们去公园散步。', '北京市海淀区中关村大街二十七号', '欢迎使用光学字符识别系统', '请在进站前出示您的车票和身份证'];
export const CHINESE_FAINT = ['上海浦东国际机场欢迎您', '第三季度营业收入增长百分之十二', '营业时间：上午九点至晚上十点'];

export function fontFamily(pattern: string, debianPackage: string): string {
  let out = '';
  try {
    out = execFileSync('fc-list', [pattern, 'family'], { encoding: 'utf8' });
  } catch (err) {
    assert.fail(`fc-list failed (${String(err)}); install fontconfig and the Debian package ${debianPackage}`);
  }
  const family = out.split('\n').map((l) => l.split(',')[0]!.trim()).filter(Boolean).sort()[0];
  assert.ok(family, `no font matches \`${pattern}\`: install the Debian package ${debianPackage} (apt-get install ${debianPackage})`);
  return family;
}

export function textSvg(lines: readonly string[], family: string, size: number, colours = { ink: '#111', paper: '#fff' }, page: { width?: number; gap?: number } = {}): Buffer {
  const gap = page.gap ?? Math.round(size * 1.8);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const texts = lines.map((l, i) => `<text x="30" y="${gap * (i + 1)}" font-family="${esc(family)}" font-size="${size}" fill="${colours.ink}">${esc(l)}</text>`);
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${page.width ?? 960}" height="${gap * (lines.length + 1)}"><rect width="100%" height="100%" fill="${colours.paper}"/>${texts.join('')}</svg>`);
}

export const render = (svg: Buffer, rotate = 0) => sharp(svg).rotate(rotate, { background: '#fff' }).png().toBuffer();
/** Small navy text on cream paper, JPEG at quality 70: the harder half of each language's sample. */
export const renderFaint = (lines: readonly string[], family: string) =>
  sharp(textSvg(lines, family, 18, { ink: '#2a3550', paper: '#f3ecd8' })).jpeg({ quality: 70 }).toBuffer();

export function accuracy(expected: string, actual: string): number {
  const a = [...expected];
  const b = [...actual];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return 1 - prev[b.length]! / Math.max(a.length, b.length, 1);
}

/** A PNG whose header claims 100 000 × 100 000 pixels: a decompression bomb's calling card. */
export function bombPng(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(100_000, 0);
  ihdr.writeUInt32BE(100_000, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(100_001))), chunk('IEND', Buffer.alloc(0))]);
}

export const latin = () => fontFamily(':lang=en:family=DejaVu Sans', 'fonts-dejavu-core');
export const cjk = () => fontFamily(':lang=zh', 'fonts-wqy-zenhei');
