// Compares what HashiCorp's HCL parser (@cdktf/hcl2json) sees in each
// "<provider>-hostileN__<file>.tf" with its "<provider>-benign__<file>.tf":
// the same blocks, the same argument names in each, and the same number of
// interpolations and directives. A requested value that escaped its quoting
// would add a block or an argument, or turn into a live ${...}.
// Prints "SAME <file>" or "DIFF <file> <what differs>" per hostile file.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node hcl_structure.mjs <directory of .tf files>');
  process.exit(2);
}

const isBody = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/// Block paths and the argument names of each block; never the keys of a map
/// argument (those may be requested text, e.g. tag names).
function shape(node, path, out) {
  if (Array.isArray(node)) {
    if (node.length > 0 && node.every(isBody)) {
      node.forEach((body, i) => {
        const at = `${path}[${i}]`;
        out.blocks.push(at);
        for (const key of Object.keys(body).sort()) {
          out.blocks.push(`${at}.${key}`);
          shape(body[key], `${at}.${key}`, out);
        }
      });
    } else {
      node.forEach((item) => shape(item, path, out));
    }
  } else if (isBody(node)) {
    for (const key of Object.keys(node).sort()) shape(node[key], `${path}/${key}`, out);
  } else if (typeof node === 'string') {
    out.templates += (node.match(/(^|[^$])\$\{/g) || []).length;
    out.templates += (node.match(/(^|[^%])%\{/g) || []).length;
  }
}

async function shapeOf(name) {
  const parsed = await parse(name, readFileSync(join(dir, name), 'utf8'));
  const out = { blocks: [], templates: 0 };
  shape(parsed, '', out);
  return out;
}

const names = readdirSync(dir).filter((n) => /-hostile\d+__.*\.tf$/.test(n)).sort();
for (const name of names) {
  const benign = name.replace(/-hostile\d+__/, '-benign__');
  try {
    const [theirs, ours] = await Promise.all([shapeOf(name), shapeOf(benign)]);
    const extra = theirs.blocks.filter((b) => !ours.blocks.includes(b));
    const missing = ours.blocks.filter((b) => !theirs.blocks.includes(b));
    if (extra.length || missing.length || theirs.templates !== ours.templates) {
      console.log(`DIFF ${name} extra=${JSON.stringify(extra)} missing=${JSON.stringify(missing)} ` +
                  `templates=${theirs.templates}/${ours.templates}`);
    } else {
      console.log(`SAME ${name}`);
    }
  } catch (e) {
    console.log(`DIFF ${name} ${String(e && e.message ? e.message : e).replace(/\s+/g, ' ')}`);
  }
}
