// The port the OCR operator depends on: bytes in, text lines out. The PaddleOCR engine is one
// implementation; tests of the operator may use any other.

export interface OcrLine {
  text: string;
  /** Mean probability of the line's characters, 0..1. */
  confidence: number;
  /** Corners in source-image pixels: top-left, top-right, bottom-right, bottom-left. */
  box: [number, number][];
}

export interface OcrResult {
  /** The lines' texts in reading order, joined by newlines. */
  text: string;
  lines: OcrLine[];
}

export interface OcrEngine {
  /** Batches this engine works on at once (its worker threads). */
  readonly concurrency: number;
  /**
   * One result per image, in order; an image that cannot be read (undecodable, too large) gets
   * its Error in its place. Rejects as a whole only when the batch cannot run at all (aborted,
   * engine closed or full, a worker crashed).
   */
  readBatch(images: readonly Uint8Array[], options?: { signal?: AbortSignal }): Promise<(OcrResult | Error)[]>;
  read(bytes: Uint8Array, options?: { signal?: AbortSignal }): Promise<OcrResult>;
  close(): Promise<void>;
}
