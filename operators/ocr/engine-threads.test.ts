// What the worker threads change for callers: the event loop keeps turning during inference, a
// batch reads every image as a read of that image alone would, and a closed engine says so.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { buildDemoSite } from '../../demo-site/index.ts';
import { errorCode, isRetryable } from '../../framework/errors/index.ts';
import { createPaddleOcrEngine, type OcrEngine, type OcrResult } from './index.ts';
import { createInThreadOcrEngine } from './testing/index.ts';
import { CHINESE, CHINESE_FAINT, cjk, ENGLISH, ENGLISH_FAINT, latin, render, renderFaint, textSvg } from './test-images.test-helper.ts';

/** Runs `work` while a 10 ms timer ticks; the longest wait between ticks, and the work's duration. */
async function timerGaps<T>(work: () => Promise<T>): Promise<{ result: T; longestGap: number; duration: number }> {
  const started = performance.now();
  let last = started;
  let longestGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
  }, 10);
  try {
    const result = await work();
    const duration = performance.now() - started;
    return { result, longestGap: Math.max(longestGap, performance.now() - last), duration };
  } finally {
    clearInterval(timer);
  }
}

describe('OCR engine threads', () => {
  const engines: OcrEngine[] = [];
  const engine = (e: OcrEngine) => (engines.push(e), e);
  after(() => Promise.all(engines.map((e) => e.close())));

  it('keeps the event loop turning while a long read runs (the in-thread pipeline does not)', async (t) => {
    // A large page with three short lines: detection, one long synchronous run, dominates the read.
    const page = await render(textSvg(['Detection dominates this read.', 'A large page, few lines.', 'Timers must keep firing.'], latin(), 40, undefined, { width: 1600, gap: 400 }));
    const options = { maxSide: 1600 };
    const pooled = engine(createPaddleOcrEngine(options));
    const inThread = engine(createInThreadOcrEngine(options));
    for (const e of [pooled, inThread]) await e.read(page); // sessions loaded, threads started
    const off = await timerGaps(() => pooled.read(page));
    const on = await timerGaps(() => inThread.read(page));
    t.diagnostic(`worker thread: longest timer gap ${off.longestGap.toFixed(0)} ms of a ${off.duration.toFixed(0)} ms read; in-thread: ${on.longestGap.toFixed(0)} of ${on.duration.toFixed(0)} ms`);
    assert.equal(off.result.lines.length, 3);
    assert.deepEqual(off.result, on.result, 'same pipeline, same answer');
    // Relative, not absolute: on a loaded machine both reads slow down alike.
    assert.ok(off.longestGap < off.duration / 3, `timers stalled ${off.longestGap.toFixed(0)} ms during a ${off.duration.toFixed(0)} ms read on the worker thread`);
    assert.ok(on.longestGap > on.duration / 3, 'control: the same read on this thread stalls the timers through detection');
  });

  it('reads each image of a batch as it reads that image alone, errors in their own slots', async () => {
    const { spec } = await buildDemoSite();
    const demo = [...spec.routes.values()].flatMap((r) => (r.kind === 'file' && r.image?.ocr ? [new Uint8Array(r.body)] : []));
    assert.equal(demo.length, 4, 'the demo site has four text images');
    const images = [
      await render(textSvg(ENGLISH, latin(), 26)),
      await renderFaint(ENGLISH_FAINT, latin()),
      ...demo,
      new TextEncoder().encode('<html>not an image</html>'),
      await render(textSvg(CHINESE, cjk(), 30)),
      await renderFaint(CHINESE_FAINT, cjk()),
      await render(textSvg(ENGLISH.slice(0, 2), latin(), 26), 180),
    ].map((b) => new Uint8Array(b));
    // Two threads: the batch is split in two parts, each recognising its images' lines together.
    const e = engine(createPaddleOcrEngine({ concurrency: 2 }));
    const batch = await e.readBatch(images);
    assert.equal(batch.length, images.length);
    for (const [i, bytes] of images.entries()) {
      const alone = await e.read(bytes).catch((err: Error) => err);
      const got = batch[i]!;
      if (alone instanceof Error) {
        assert.ok(got instanceof Error && errorCode(got) === errorCode(alone) && errorCode(got) === 'IMAGE_UNDECODABLE', `image ${i}: ${String(got)}`);
        continue;
      }
      assert.ok(!(got instanceof Error), `image ${i} failed in the batch: ${String(got)}`);
      const text = (r: OcrResult) => r.lines.map((l) => l.text);
      assert.deepEqual(text(got), text(alone), `image ${i}`);
      assert.ok(alone.lines.length > 0, `image ${i} has text`);
    }
  });

  it('abandons a read aborted while it runs (a deadline): the caller is answered at once, the thread goes on', async () => {
    const page = await render(textSvg(ENGLISH, latin(), 26));
    const e = engine(createPaddleOcrEngine());
    await e.read(page); // thread started, sessions loaded
    const controller = new AbortController();
    const running = e.read(page, { signal: controller.signal });
    const next = e.read(page);
    setTimeout(() => controller.abort(new Error('deadline passed')), 20);
    await assert.rejects(running, /deadline passed/);
    assert.equal((await next).lines.length, ENGLISH.length);
  });

  it('leaves the caller\'s bytes intact: an image that is a view into a larger buffer', async () => {
    const png = await render(textSvg(['intact'], latin(), 26));
    const message = new Uint8Array(png.length + 64);
    message.set(png, 32);
    const view = message.subarray(32, 32 + png.length);
    const e = engine(createPaddleOcrEngine());
    assert.equal((await e.read(view)).text, 'intact');
    assert.equal(message.byteLength, png.length + 64, 'the backing buffer was not handed to the worker');
    assert.deepEqual(view, new Uint8Array(png));
  });

  it('refuses reads once closed, retryably (another instance can take them)', async () => {
    const e = createPaddleOcrEngine();
    await e.close();
    await assert.rejects(e.readBatch([new Uint8Array([1])]), (err: Error) => errorCode(err) === 'WORKER_POOL_CLOSED' && isRetryable(err));
  });
});
