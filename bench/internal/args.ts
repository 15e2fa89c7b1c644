// Tiny flag parsing shared by the benches: `--name value` and `--flag`.
export function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = process.argv[i + 1];
  return v === undefined || v.startsWith('--') ? '' : v;
}

export function numberFlag(name: string, dflt: number): number {
  const raw = flag(name);
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`Expected \`--${name}\` to be a positive number, got \`${raw}\``);
  return n;
}

/** The exact command line, as a user would retype it (and the `npm run bench` that ran it, if any). */
export function commandLine(script: string): string {
  const direct = ['npx tsx', script, ...process.argv.slice(2)].join(' ');
  const via = process.env.QUARRY_BENCH_VIA;
  return via ? `${via}\` → \`${direct}` : direct;
}
