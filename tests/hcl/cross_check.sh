#!/usr/bin/env bash
# Cross-checks the Terraform templates and our HCL checker against HashiCorp's
# own parser (@cdktf/hcl2json). Fails unless every rendered and valid sample
# parses, every broken sample is refused, check_hcl agrees with HashiCorp's
# parser on every file, and hostile requested values change no file's structure.
# Usage: cross_check.sh <path to render_samples>
set -euo pipefail

render_samples=${1:?usage: cross_check.sh <path to render_samples>}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [[ ! -d "$here/node_modules/@cdktf/hcl2json" ]]; then
  echo "cross_check: HashiCorp's parser is not installed; run: npm ci --prefix tests/hcl" >&2
  exit 1
fi
command -v node >/dev/null || { echo "cross_check: node is not installed" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! "$render_samples" "$work"; then
  echo "cross_check: render_samples failed (a rendered module does not check)" >&2
  exit 1
fi
node "$here/hcl2json_check.mjs" "$work" > "$work/hcl2json.txt"

failures=0
files=0
while read -r name kind ours _; do
  files=$((files + 1))
  theirs=$(grep -m1 -E "^(OK|ERR) ${name//./\\.}( |\$)" "$work/hcl2json.txt" | cut -d' ' -f1 || true)
  if [[ -z "$theirs" ]]; then
    echo "FAIL $name: no verdict from hcl2json"
    failures=$((failures + 1))
    continue
  fi
  if [[ "$kind" == broken && "$theirs" != ERR ]]; then
    echo "FAIL $name: a broken sample parses with hcl2json"
    failures=$((failures + 1))
  fi
  if [[ "$kind" != broken && "$theirs" != OK ]]; then
    echo "FAIL $name: hcl2json refuses it: $(grep -m1 " $name " "$work/hcl2json.txt")"
    failures=$((failures + 1))
  fi
  if [[ "$ours" != "$theirs" ]]; then
    echo "FAIL $name: check_hcl says $ours, hcl2json says $theirs ($(grep -m1 "^$name " "$work/manifest.txt"))"
    failures=$((failures + 1))
  fi
done < "$work/manifest.txt"

# Requested values rendered hostile must not change what the parser sees.
node "$here/hcl_structure.mjs" "$work" > "$work/structure.txt"
hostile=$(grep -c . "$work/structure.txt" || true)
escaped=$(grep -c '^DIFF' "$work/structure.txt" || true)
grep '^DIFF' "$work/structure.txt" | sed 's/^/FAIL /' || true
if [[ $hostile -eq 0 ]]; then
  echo "FAIL no hostile renderings were compared"
  failures=$((failures + 1))
fi
failures=$((failures + escaped))

echo "hcl cross-check: $files files, $hostile hostile renderings, $failures disagreements"
[[ $files -gt 0 && $failures -eq 0 ]]
