// Tokens for the OCR text index. Text is NFKC-normalised and lower-cased; runs of CJK characters
// (Han, Hiragana, Katakana, Hangul) become overlapping character bigrams — Chinese and Japanese
// have no spaces, and bigrams find a word inside a line without a dictionary — a lone CJK
// character is its own token; other letters and digits form words, with Latin accents removed,
// and a word mixing letters and digits also yields each run of letters and of digits.

const CJK = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Hangul}';
const RUN = new RegExp(`[${CJK}]+|(?:(?![${CJK}])[\\p{L}\\p{N}\\p{M}])+`, 'gu');
const IS_CJK = new RegExp(`^[${CJK}]`, 'u');

export function tokenize(text: string): string[] {
  const tokens = new Set<string>();
  for (const [run] of text.normalize('NFKC').toLowerCase().matchAll(RUN)) {
    if (IS_CJK.test(run)) {
      const chars = Array.from(run);
      if (chars.length === 1) tokens.add(run);
      for (let i = 0; i + 1 < chars.length; i++) tokens.add(`${chars[i]}${chars[i + 1]}`);
    } else {
      // Only Latin words lose their marks: in other scripts (Devanagari, Thai…) marks are letters' vowels.
      const word = /\p{Script=Latin}/u.test(run) ? run.normalize('NFD').replace(/\p{M}/gu, '').normalize('NFC') : run;
      if (word.length > 0) tokens.add(word);
      // OCR often loses the space between a word and a number ("DEMO 2024" read as "DEMO2024"):
      // the letter and digit runs of a mixed word are tokens too, so either half is found.
      const parts = word.match(/\p{N}+|[^\p{N}]+/gu) ?? [];
      if (parts.length > 1) for (const part of parts) tokens.add(part);
    }
  }
  return [...tokens];
}
