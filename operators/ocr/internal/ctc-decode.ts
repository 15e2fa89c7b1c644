// Greedy CTC decoding of the recogniser's per-step class probabilities.

/**
 * PaddleOCR's character list: index 0 is the CTC blank, then the dictionary's lines, then a
 * space (the models are trained with `use_space_char`).
 */
export function charsetFromKeys(keysText: string): string[] {
  const keys = keysText.replace(/\r/g, '').split('\n');
  if (keys.at(-1) === '') keys.pop();
  return ['', ...keys, ' '];
}

export interface DecodedLine {
  text: string;
  /** Mean probability of the emitted characters; 0 when none were. */
  confidence: number;
}

/** Decodes item `n` of a [batch, steps, classes] probability tensor. */
export function ctcGreedyDecode(probs: Float32Array, n: number, steps: number, classes: number, charset: readonly string[]): DecodedLine {
  let text = '';
  let sum = 0;
  let count = 0;
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    const base = (n * steps + t) * classes;
    let best = 0;
    let bestP = probs[base]!;
    for (let c = 1; c < classes; c++) {
      const p = probs[base + c]!;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best !== 0 && best !== previous) {
      text += charset[best] ?? '';
      sum += bestP;
      count++;
    }
    previous = best;
  }
  return { text, confidence: count === 0 ? 0 : sum / count };
}
