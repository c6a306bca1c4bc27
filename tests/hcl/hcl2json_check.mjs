// Parses every .tf file of a directory with HashiCorp's HCL parser (the WASM
// build in @cdktf/hcl2json) and prints one line per file, in name order:
//   OK <name>
//   ERR <name> <message>
// Exits 0 whatever the verdicts; 2 if the directory cannot be read.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node hcl2json_check.mjs <directory of .tf files>');
  process.exit(2);
}
let names;
try {
  names = readdirSync(dir).filter((n) => n.endsWith('.tf')).sort();
} catch (e) {
  console.error(`cannot read ${dir}: ${e.message}`);
  process.exit(2);
}
for (const name of names) {
  const source = readFileSync(join(dir, name), 'utf8');
  try {
    await parse(name, source);
    console.log(`OK ${name}`);
  } catch (e) {
    const message = String(e && e.message ? e.message : e).replace(/\s+/g, ' ');
    console.log(`ERR ${name} ${message}`);
  }
}
