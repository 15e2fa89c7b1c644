// The README's examples are real files that run; this keeps the two from drifting apart.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const readme = readFileSync('README.md', 'utf8');

describe('examples', () => {
  for (const file of ['examples/greet/greet-dag.ts', 'examples/greet/operators.ts', 'examples/greet/run.ts']) {
    it(`README shows ${file} word for word`, () => {
      assert.ok(readme.includes(`\`\`\`ts\n${readFileSync(file, 'utf8')}\`\`\``), `README.md's code block for ${file} differs from the file`);
    });
  }

  it('examples/greet/run.ts runs the DAG: one item completed, one filtered with its reason', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/greet/run.ts']);
    assert.deepEqual(stdout.trim().split('\n').sort(), ['ada completed "HELLO, ADA!"', 'nobody filtered empty-name']);
  });
});
