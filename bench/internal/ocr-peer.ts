// RapidOCR, the OCR bench's peer: a venv under bench/.venv (gitignored) made on first use with
// rapidocr-onnxruntime 1.4.4 from PyPI, and bench/internal/rapidocr-peer.py run in it.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const VENV = fileURLToPath(new URL('../.venv/', import.meta.url));
const PYTHON = `${VENV}bin/python`;
const SCRIPT = fileURLToPath(new URL('./rapidocr-peer.py', import.meta.url));
export const RAPIDOCR_VERSION = '1.4.4';

export interface PeerJob {
  images: string[];
  texts: string[];
  workers: number;
  intra: number;
  rec_batch: number;
  repeat: number;
}

export interface PeerResult {
  images: number;
  seconds: number;
  cpuSeconds: number;
  texts: string[];
  versions: Record<string, string>;
}

export function ensurePeer(log: (line: string) => void): void {
  const installed = () => {
    try {
      execFileSync(PYTHON, ['-c', 'import rapidocr_onnxruntime'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (existsSync(PYTHON) && installed()) return;
  log(`ocr bench: installing rapidocr-onnxruntime ${RAPIDOCR_VERSION} into ${VENV} (once)`);
  try {
    execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
    execFileSync(PYTHON, ['-m', 'pip', 'install', '-q', `rapidocr-onnxruntime==${RAPIDOCR_VERSION}`], { stdio: 'inherit' });
  } catch (err) {
    throw new Error(`Expected python3 with venv and pip to set up the RapidOCR peer in ${VENV} (or pass --no-peer), got: ${(err as Error).message}`);
  }
}

export function runPeer(job: PeerJob): Promise<PeerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`RapidOCR peer exited with code ${code}`));
      try {
        resolve(JSON.parse(out) as PeerResult);
      } catch {
        reject(new Error(`RapidOCR peer printed no JSON result: ${out.slice(0, 200)}`));
      }
    });
    child.stdin.end(JSON.stringify(job));
  });
}
