import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { createContentIndex, openIndexStore } from '../../operators/index-builder/index.ts';
import { registerIndexCommand } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'quarry-cli-index-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const spec = `embedded:${dir}`;
const sign = (c: string) => c.repeat(64);

async function quarry(...args: string[]): Promise<{ out: string; err: string; exitCode: number }> {
  let out = '';
  let err = '';
  const program = new Command('quarry').exitOverride().configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerIndexCommand(program, { out: (s) => (out += s) });
  try {
    await program.parseAsync(['node', 'quarry', ...args]);
    return { out, err, exitCode: 0 };
  } catch (e) {
    return { out, err, exitCode: (e as { exitCode?: number }).exitCode ?? 1 };
  }
}

test('quarry index query / groups / stats over an embedded store', async () => {
  const store = openIndexStore(spec);
  const index = createContentIndex({ store });
  await index.indexPhash(sign('a'), '00000000000000ff');
  await index.indexPhash(sign('b'), '00000000000000fc');
  await index.indexPhash(sign('c'), 'ffffffffffffff00');
  await index.indexText(sign('a'), '北京烤鸭 Peking duck');
  await store.close();

  const byHash = await quarry('index', 'query', '--phash', '00000000000000FF', '--store', spec);
  assert.equal(byHash.out, ` 0  00000000000000ff  ${sign('a')}\n 2  00000000000000fc  ${sign('b')}\n`);
  const bySign = await quarry('index', 'query', '--sign', sign('a'), '--distance', '1', '--store', spec);
  assert.equal(bySign.out, 'no near-duplicates within 1 bits\n');
  const json = await quarry('index', 'query', '--sign', sign('a'), '--store', spec, '--json');
  assert.deepEqual(JSON.parse(json.out), [{ sign: sign('b'), phash: '00000000000000fc', distance: 2 }]);
  const text = await quarry('index', 'query', '--text', '烤鸭', '--store', spec);
  assert.equal(text.out, `${sign('a')}  1  北京烤鸭 Peking duck\n`);
  const groups = await quarry('index', 'groups', '--store', spec);
  assert.equal(groups.out, `group 1 (2 contents)\n  00000000000000ff  ${sign('a')}\n  00000000000000fc  ${sign('b')}\n`);
  assert.equal((await quarry('index', 'stats', '--store', spec)).out, 'phashes 3\ntexts   1\n');
});

test('usage errors are clear and exit non-zero', async () => {
  const none = await quarry('index', 'query', '--store', spec);
  assert.equal(none.exitCode, 2);
  assert.match(none.err, /give exactly one of --phash, --sign or --text/);
  const badDistance = await quarry('index', 'groups', '--distance', '99', '--store', spec);
  assert.notEqual(badDistance.exitCode, 0);
  assert.match(badDistance.err, /Expected `--distance` to be an integer between 0 and 64, got `99`/);
  const unknown = await quarry('index', 'query', '--sign', sign('9'), '--store', spec);
  assert.equal(unknown.exitCode, 1);
  assert.match(unknown.err, /No pHash is indexed for content sign/);
  const typo = await quarry('index', 'stats', '--store', 'embedded:/no/such/index-dir');
  assert.equal(typo.exitCode, 1);
  assert.match(typo.err, /No index store at `\/no\/such\/index-dir`/);
  assert.equal(existsSync('/no/such/index-dir'), false, 'a query never creates a store');
  const badStore = await quarry('index', 'stats', '--store', 'nosuch:thing');
  assert.equal(badStore.exitCode, 1);
  assert.match(badStore.err, /Expected `store` to be `embedded:<dir>`/);
});
