// The real engine on rendered text. Fonts: DejaVu (fonts-dejavu-core) for English and a CJK font
// (Debian package fonts-wqy-zenhei, or fonts-noto-cjk) for Chinese; a missing font fails the test.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { errorCode } from '../../framework/errors/index.ts';
import { mockOperatorContext } from '../../framework/testing/index.ts';
import { createOcrOperator, createPaddleOcrEngine, type OcrEngine } from './index.ts';

/** Accuracy each language must reach: 1 − Levenshtein / max length, over the joined text. */
const MIN_ACCURACY = 0.9;

const ENGLISH = [
  'The quick brown fox jumps over the lazy dog.',
  'Invoice 2024-0173: total due $1,284.50',
  'Open Monday to Friday, 9am - 5pm',
  'Please keep your ticket until the end of the trip.',
];
const ENGLISH_FAINT = ['Quarterly report: revenue grew 12% to $4.7 million', 'Customer service: call +1 (555) 010-2233', 'Warning! Do not lean against the doors.'];
const CHINESE = ['今天天气很好，我们去公园散步。', '北京市海淀区中关村大街二十七号', '欢迎使用光学字符识别系统', '请在进站前出示您的车票和身份证'];
const CHINESE_FAINT = ['上海浦东国际机场欢迎您', '第三季度营业收入增长百分之十二', '营业时间：上午九点至晚上十点'];

function fontFamily(pattern: string, debianPackage: string): string {
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

function textSvg(lines: readonly string[], family: string, size: number, colours = { ink: '#111', paper: '#fff' }): Buffer {
  const gap = Math.round(size * 1.8);
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const texts = lines.map((l, i) => `<text x="30" y="${gap * (i + 1)}" font-family="${esc(family)}" font-size="${size}" fill="${colours.ink}">${esc(l)}</text>`);
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="960" height="${gap * (lines.length + 1)}"><rect width="100%" height="100%" fill="${colours.paper}"/>${texts.join('')}</svg>`);
}

const render = (svg: Buffer, rotate = 0) => sharp(svg).rotate(rotate, { background: '#fff' }).png().toBuffer();
/** Small navy text on cream paper, JPEG at quality 70: the harder half of each language's sample. */
const renderFaint = (lines: readonly string[], family: string) =>
  sharp(textSvg(lines, family, 18, { ink: '#2a3550', paper: '#f3ecd8' })).jpeg({ quality: 70 }).toBuffer();

function accuracy(expected: string, actual: string): number {
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
function bombPng(): Buffer {
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

describe('PaddleOCR engine', () => {
  let engine: OcrEngine;
  // Looked up by each test that renders, so a missing font fails exactly the tests that need it.
  const latin = () => fontFamily(':lang=en:family=DejaVu Sans', 'fonts-dejavu-core');
  const cjk = () => fontFamily(':lang=zh', 'fonts-wqy-zenhei');
  before(() => {
    engine = createPaddleOcrEngine();
  });
  after(() => engine.close());

  const cases = [
    { language: 'English', clean: ENGLISH, faint: ENGLISH_FAINT, font: latin, size: 26 },
    { language: 'Chinese', clean: CHINESE, faint: CHINESE_FAINT, font: cjk, size: 30 },
  ];
  for (const { language, clean, faint, font, size } of cases) {
    it(`reads ${language} with ≥ ${MIN_ACCURACY * 100}% character accuracy, lines in reading order`, async (t) => {
      const samples = [
        { lines: clean, bytes: await render(textSvg(clean, font(), size)) },
        { lines: faint, bytes: await renderFaint(faint, font()) },
      ];
      const expected: string[] = [];
      const actual: string[] = [];
      for (const { lines, bytes } of samples) {
        const started = performance.now();
        const result = await engine.read(bytes);
        const ms = performance.now() - started;
        t.diagnostic(`${language} image (${lines.length} lines): ${ms.toFixed(0)} ms, accuracy ${(accuracy(lines.join('\n'), result.text) * 100).toFixed(1)}%`);
        expected.push(lines.join('\n'));
        actual.push(result.text);
        assert.equal(result.lines.length, lines.length, `read:\n${result.text}`);
        assert.equal(result.text, result.lines.map((l) => l.text).join('\n'));
        let previousTop = -1;
        for (const line of result.lines) {
          assert.equal(line.box.length, 4);
          assert.ok(line.confidence > 0.5 && line.confidence <= 1, `confidence ${line.confidence}`);
          const [tl, tr, br, bl] = line.box as [[number, number], [number, number], [number, number], [number, number]];
          assert.ok(tl[0] < tr[0] && bl[0] < br[0] && tl[1] < bl[1] && tr[1] < br[1], `box corners out of order: ${JSON.stringify(line.box)}`);
          assert.ok(tl[1] > previousTop, 'lines come top to bottom');
          previousTop = tl[1];
        }
      }
      const score = accuracy(expected.join('\n'), actual.join('\n'));
      t.diagnostic(`${language}: accuracy ${(score * 100).toFixed(1)}% over ${samples.length} images (${font()})`);
      assert.ok(score >= MIN_ACCURACY, `${language} accuracy ${score.toFixed(3)} < ${MIN_ACCURACY}; read:\n${actual.join('\n')}`);
    });
  }

  it('reads text turned upside down (orientation classifier)', async (t) => {
    const png = await render(textSvg(ENGLISH.slice(0, 2), latin(), 26), 180);
    const result = await engine.read(png);
    const score = accuracy(ENGLISH.slice(0, 2).join('\n'), result.text);
    t.diagnostic(`upside-down English: accuracy ${(score * 100).toFixed(1)}%`);
    assert.ok(score >= MIN_ACCURACY, `accuracy ${score.toFixed(3)}; read:\n${result.text}`);
  });

  it('finds no lines on a blank image', async () => {
    const png = await sharp({ create: { width: 640, height: 360, channels: 3, background: '#ffffff' } }).png().toBuffer();
    assert.deepEqual(await engine.read(png), { text: '', lines: [] });
  });

  it('refuses broken and hostile images with a clear error', async () => {
    const good = await render(textSvg(['hello'], latin(), 26));
    const broken = [Buffer.from('<html>not an image</html>'), good.subarray(0, good.length >> 1)];
    for (const bytes of broken) {
      await assert.rejects(engine.read(bytes), (err: Error) => errorCode(err) === 'IMAGE_UNDECODABLE' && /could not be decoded/.test(err.message));
    }
    await assert.rejects(engine.read(bombPng()), (err: Error) => errorCode(err) === 'IMAGE_TOO_LARGE' && /pixels/.test(err.message));
    // The engine is still usable afterwards.
    assert.equal((await engine.read(good)).text, 'hello');
  });

  it('honours an aborted signal', async () => {
    const png = await render(textSvg(['abort'], latin(), 26));
    await assert.rejects(engine.read(png, { signal: AbortSignal.abort() }), { name: 'AbortError' });
    // A read waiting behind another gives up as soon as its signal aborts; the other completes.
    const controller = new AbortController();
    const first = engine.read(png);
    const queued = engine.read(png, { signal: controller.signal });
    controller.abort();
    await assert.rejects(queued, { name: 'AbortError' });
    assert.equal((await first).text, 'abort');
  });

  it('rejects bad options with every problem listed', () => {
    assert.throws(() => createPaddleOcrEngine({ maxSide: 10, detThreshold: 2, intraOpThreads: 1.5 }), (err: Error) => {
      assert.equal(errorCode(err), 'CONFIG_INVALID');
      assert.match(err.message, /Expected `maxSide` to be a number ≥ 32, got `10` \(number\)/);
      assert.match(err.message, /Expected `detThreshold` to be a number ≤ 1, got `2` \(number\)/);
      assert.match(err.message, /Expected `intraOpThreads` to be an integer, got `1.5` \(number\)/);
      return true;
    });
  });

  it('serves as the `ocr` operator', async () => {
    const op = createOcrOperator({ engine });
    assert.equal(op.name, 'ocr');
    assert.equal(op.resource, 'gpu');
    await assert.rejects(op.handler({ image: new Uint8Array() }, mockOperatorContext()), (err: Error & { reason?: string }) => err.reason === 'empty-image');
    const png = await render(textSvg(['Quarry reads images'], latin(), 26));
    const out = await op.handler({ image: new Uint8Array(png) }, mockOperatorContext());
    assert.equal(out.ocrText, 'Quarry reads images');
    assert.equal(op.outputs.ocrText.parse(out.ocrText), out.ocrText);
    op.outputs.ocrLines.parse(out.ocrLines);
  });
});
