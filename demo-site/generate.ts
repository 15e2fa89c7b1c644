// Writes demo-site/ground-truth.json for the default seed (or the seed given as argv[2]).
// The same object is computed on the fly by startDemoSite(); this file is for humans and diffs.
//   npx tsx demo-site/generate.ts [seed]
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildDemoSite, DEFAULT_SEED } from './index.ts';

const seed = process.argv[2] === undefined ? DEFAULT_SEED : Number(process.argv[2]);
if (!Number.isInteger(seed)) throw new TypeError(`Expected the seed to be an integer, got \`${process.argv[2]}\``);
const { groundTruth: gt } = await buildDemoSite({ seed });
const out = fileURLToPath(new URL('./ground-truth.json', import.meta.url));
writeFileSync(out, `${JSON.stringify(gt, null, 2)}\n`);
console.log(`wrote ${out}: ${gt.pages.length} pages, ${gt.edges.length} edges, ${gt.links.length} image links, ${gt.contents.length} contents, ${gt.rejections.length} rejections`);
console.log(gt.rejectionsByReason);
