#!/usr/bin/env bash
# The package as a user gets it: `npm pack` (prepack compiles dist/), install the tarball into a
# temporary prefix, then run the installed command from an unrelated directory: --version, --help,
# replay of a shipped example, trace check of a trace, viz machines and viz replay; and import the
# public API (with its types) from a consumer project. Exit non-zero on the first thing that fails.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/viommu-model-package.XXXXXX")"
trap 'rm -rf "$work"' EXIT
step() { printf 'package test: %s\n' "$*"; }

cd "$repo"
version="$(node -p 'require("./package.json").version')"
step "npm pack (runs prepack: tsc -p tsconfig.build.json)"
tarball="$work/$(npm pack --silent --pack-destination "$work" | tail -1)"
tar -tzf "$tarball" > "$work/contents"
for want in package/dist/src/cli/main.js package/dist/src/index.d.ts package/LICENSE \
  package/schema/event-log.schema.json package/examples/kernel-objects.jsonl package/docs/log-format.md; do
  grep -qx "$want" "$work/contents" || { echo "package test: $want is not in the tarball" >&2; exit 1; }
done
if grep -q '^package/src/' "$work/contents"; then echo 'package test: the tarball ships src/' >&2; exit 1; fi

step "npm install -g --prefix <temp> $(basename "$tarball")"
npm install -g --prefix "$work/prefix" --no-audit --no-fund --prefer-offline "$tarball" > "$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; exit 1; }
installed="$work/prefix/lib/node_modules/viommu-model"
bin="$work/prefix/bin/viommu-model"
if [ -e "$installed/node_modules/tsx" ] || [ -e "$work/prefix/lib/node_modules/tsx" ]; then
  echo 'package test: tsx was installed: the package must run without it' >&2; exit 1
fi

mkdir "$work/elsewhere" && cd "$work/elsewhere"
step "--version"
[ "$("$bin" --version)" = "viommu-model $version" ] || { echo "package test: wrong --version" >&2; exit 1; }
step "--help"
"$bin" --help | grep -q '^  replay ' || { echo 'package test: --help lists no replay' >&2; exit 1; }
step "replay of a shipped example"
"$bin" replay "$installed/examples/kernel-objects.jsonl" --check --quiet | grep -q 'all expectations and invariants hold'
step "replay of a log large enough for the parse worker (dist/'s .js worker), and its bad last line"
node -e '
const lines = [JSON.stringify({ log: "viommu-model", version: 1, platform: { viommu: "none" } })];
for (let i = 0; i < 180000; i++)
  lines.push(`{"type":"iommufd.ioas_alloc","as":"a","expect":"ok"}`, `{"type":"iommufd.destroy","id":"$a","expect":"ok"}`);
require("fs").writeFileSync("big.jsonl", lines.join("\n") + "\n");
require("fs").writeFileSync("big-bad.jsonl", lines.join("\n") + "\n{\"type\":\"iommufd.ioas_alloc\",\"bogus\":1}\n");'
"$bin" replay big.jsonl --check --quiet | grep -q '^big.jsonl: 360000 events, 0 failed expectations, 0 invariant violations'
set +e
"$bin" replay big-bad.jsonl --check --quiet > bad.out 2> bad.err
code=$?
set -e
[ "$code" = 2 ] && grep -q 'line 360002: field "bogus": unknown field' bad.err ||
  { cat bad.out bad.err >&2; echo "package test: the bad line of a large log gave exit $code" >&2; exit 1; }
step "trace check"
cp "$repo/test/traces/real/lore_qemu-devel_4369ce16-0b40-4df3-8db0-276bb0887fa0@redhat.com.log" trace.log
"$bin" trace check trace.log | grep -q 'findings: 0 errors, 0 warnings'
step "viz machines, viz replay"
"$bin" viz machines --format json | node -e 'JSON.parse(require("fs").readFileSync(0, "utf8"))'
"$bin" viz replay "$installed/examples/vtd-boot-nic.jsonl" --format html --out viewer.html | grep -q 'wrote viewer.html'
grep -q 'id="viewer-data"' viewer.html

step "explore and explore --random of a shipped configuration (fast-check is a runtime dependency)"
"$bin" explore "$installed/examples/explore/smmuv3-fixed-one-device.json" --out cex | grep -q 'every invariant holds'
set +e
"$bin" explore "$installed/examples/explore/smmuv3-upstream.json" --random --runs 200 --seed 1 --out cex > random.out
code=$?
set -e
[ "$code" = 1 ] && grep -q '^FAIL smmuv3-attachment-follows-guest' random.out ||
  { cat random.out >&2; echo "package test: explore --random gave exit $code" >&2; exit 1; }
if "$bin" replay cex/smmuv3-upstream-random-smmuv3-attachment-follows-guest.jsonl --check --quiet > /dev/null; then
  echo 'package test: the random counterexample replays clean' >&2; exit 1
fi

step "explore --workers 2 of the toy (the worker threads load the compiled toy-worker.js)"
"$bin" explore "$installed/examples/explore/toy-k6-h3.json" --no-symmetry --workers 2 --json --out cex > toy.json
node -e 'const r = JSON.parse(require("fs").readFileSync("toy.json", "utf8"));
  if (r.states !== 6476 || r.workers !== 2 || r.verdict !== "holds") { console.error(r); process.exit(1); }' ||
  { echo 'package test: explore --workers 2 of the toy gave a wrong answer' >&2; exit 1; }

step "the public API and its types from a consumer project"
mkdir "$work/consumer" && cd "$work/consumer"
echo '{"name":"consumer","private":true,"type":"module"}' > package.json
npm install --no-audit --no-fund --prefer-offline "$tarball" > "$work/consumer.log" 2>&1 ||
  { cat "$work/consumer.log" >&2; exit 1; }
cat > use.ts <<'TS'
import { exitCodeOf, parseLogText, replayItems } from 'viommu-model';
const { summary } = replayItems(parseLogText('{"type":"iommufd.ioas_alloc","expect":"ok"}\n'));
const code: 0 | 1 | 2 = exitCodeOf(summary);
console.log(`events=${summary.events} exit=${code}`);
TS
"$repo/node_modules/.bin/tsc" --noEmit --strict --module nodenext --moduleResolution nodenext \
  --target es2022 --skipLibCheck --types node --typeRoots "$repo/node_modules/@types" use.ts
cp use.ts use.mjs && sed -i 's/const code: 0 | 1 | 2 =/const code =/' use.mjs
[ "$(node use.mjs)" = 'events=1 exit=0' ] || { echo 'package test: the API gave a wrong answer' >&2; exit 1; }
step "all passed"
