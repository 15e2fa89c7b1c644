/**
 * OCR: PP-OCRv4 (detection, orientation, recognition) on onnxruntime in worker threads, and the
 * `ocr` operator.
 *
 *   const engine = createPaddleOcrEngine({ maxSide: 960, concurrency: 2 });   // 2 worker threads
 *   const { text, lines } = await engine.read(pngBytes, { signal });
 *   const results = await engine.readBatch([png1, png2], { signal });  // OcrResult | Error each
 *   const op = createOcrOperator({ engine });   // a batch operator: concurrency 2, maxBatch 8
 *   await engine.close();
 */
export type { OcrEngine, OcrLine, OcrResult } from './ocr-engine.ts';
export { createPaddleOcrEngine } from './paddle-engine.ts';
export { paddleOcrOptionsSchema, parsePaddleOcrOptions, type PaddleOcrOptions, type PaddleOcrConfig } from './paddle-options.ts';
export { createOcrOperator, MAX_OCR_LINES, MAX_OCR_TEXT, OCR_MAX_BATCH } from './ocr-operator.ts';
