// The real engine on rendered text. Fonts: DejaVu (fonts-dejavu-core) for English and a CJK font
// (Debian package fonts-wqy-zenhei, or fonts-noto-cjk) for Chinese; a missing font fails the test.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { errorCode } from '../../framework/errors/index.ts';
import { mockOperatorContext } from '../../framework/testing/index.ts';
import { createOcrOperator, createPaddleOcrEngine, type OcrEngine } from './index.ts';
import { accuracy, bombPng, CHINESE, CHINESE_FAINT, cjk, ENGLISH, ENGLISH_FAINT, latin, MIN_ACCURACY, render, renderFaint, textSvg } from './test-images.test-helper.ts';

describe('PaddleOCR engine', () => {
  let engine: OcrEngine;
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

  it('serves as the `ocr` operator: one engine batch per call, an empty image filtered alone', async () => {
    const op = createOcrOperator({ engine });
    assert.equal(op.name, 'ocr');
    assert.equal(op.resource, 'gpu');
    assert.equal(op.concurrency, engine.concurrency);
    assert.equal(op.maxBatch, 8);
    const png = await render(textSvg(['Quarry reads images'], latin(), 26));
    const items = [new Uint8Array(), new Uint8Array(png), new Uint8Array(png)].map((image) => ({ input: { image }, ctx: mockOperatorContext() }));
    const [empty, first, second] = await op.batchHandler(items, { signal: new AbortController().signal, deadline: Date.now() + 60_000 });
    assert.ok(empty instanceof Error && (empty as Error & { reason?: string }).reason === 'empty-image', String(empty));
    for (const out of [first, second]) {
      assert.ok(out && !(out instanceof Error), String(out));
      assert.equal(out.ocrText, 'Quarry reads images');
      assert.equal(op.outputs.ocrText.parse(out.ocrText), out.ocrText);
      op.outputs.ocrLines.parse(out.ocrLines);
    }
  });
});
