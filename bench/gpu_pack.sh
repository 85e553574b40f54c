#!/usr/bin/env bash
# Builds .gpu/ (ignored) for `bash bench/gpu.sh` on a lent GPU machine with no Deno, no Node
# and no network: .gpu/deno.xz (this machine's Deno), .gpu/node_modules.tar.xz (the npm
# packages cmrxkit loads, trimmed to linux-x64 and to onnxruntime-web's WebGPU build), and
# .gl/libvulkan1_*.deb (the Vulkan loader). Prints the size of what travels and refuses
# (exit 1) when the working tree plus .gpu and .gl exceed the device's 64 MiB.
#
# Usage (repository root): bash bench/gpu_pack.sh [--force]   (--force rebuilds deno.xz)
set -euo pipefail
cd "$(dirname "$0")/.."
force=0
[[ "${1:-}" == "--force" ]] && force=1
LIMIT=$((64 * 1024 * 1024))

for p in /.gpu/ /.gl/; do
  grep -qxF "$p" .git/info/exclude 2>/dev/null || echo "$p" >>.git/info/exclude
done
mkdir -p .gpu .gl

# 1. Deno (xz with the x86 filter, -9e: 95.6 MB -> 28.8 MB; kept when newer than the binary)
deno_bin=$(readlink -f "$(command -v deno)")
if [[ $force == 1 || ! -s .gpu/deno.xz || "$deno_bin" -nt .gpu/deno.xz ]]; then
  echo "compressing $deno_bin ($(du -h "$deno_bin" | cut -f1)) with xz (about 4 minutes) ..."
  xz --x86 --lzma2=preset=9e -T0 -c "$deno_bin" >.gpu/deno.xz.tmp && mv .gpu/deno.xz.tmp .gpu/deno.xz
fi
"$deno_bin" --version | head -1 >.gpu/deno.version

# 2. node_modules, trimmed. Deno (nodeModulesDir auto + deno.lock) starts from it offline.
# onnxruntime-node: only bin/napi-v6/linux/x64. onnxruntime-web: `import("onnxruntime-web/webgpu")`
# resolves to dist/ort.webgpu.bundle.min.mjs (package.json exports), which loads
# dist/ort-wasm-simd-threaded.asyncify.{mjs,wasm}; nothing else of dist/ is read.
[[ -d node_modules/.deno ]] || {
  echo "no node_modules/.deno: run any deno task once here first" >&2
  exit 1
}
web=node_modules/.deno/onnxruntime-web@1.30.0/node_modules/onnxruntime-web
ortn=node_modules/.deno/onnxruntime-node@1.30.0/node_modules/onnxruntime-node
[[ -d $web && -d $ortn ]] || {
  echo "expected $web and $ortn (onnxruntime 1.30.0)" >&2
  exit 1
}
list=$(mktemp)
trap 'rm -f "$list"' EXIT
{
  find node_modules -maxdepth 1 -mindepth 1 ! -name .deno # top-level links, .bin
  find node_modules/.deno -maxdepth 1 -type f              # .setup-cache.bin, .deno.lock
  find node_modules/.deno -mindepth 1 -maxdepth 1 -type d \
    ! -name 'onnxruntime-web@*' ! -name 'onnxruntime-node@*' ! -name '@types+node@*' \
    ! -name 'h5wasm@*'
  # trimmed packages keep Deno's marker (without it Deno downloads the package again) and
  # their package.json; @types/node (types only) keeps nothing else
  for d in node_modules/.deno/{onnxruntime-web@1.30.0,onnxruntime-node@1.30.0,h5wasm@0.10.3,@types+node@*}; do
    find "$d" -maxdepth 1 -type f
    find "$d/node_modules" -mindepth 2 -maxdepth 2 -name package.json
  done
  # h5wasm: cmrxkit imports only "h5wasm/node" (dist/node)
  h5=node_modules/.deno/h5wasm@0.10.3/node_modules/h5wasm
  find "$h5" -maxdepth 1 -type f
  find "$h5/dist/node" -type f
  # the two onnxruntime packages (and h5wasm): their links to dependencies, and only the files named above
  find node_modules/.deno/onnxruntime-web@1.30.0/node_modules \
    node_modules/.deno/onnxruntime-node@1.30.0/node_modules node_modules/.deno/h5wasm@0.10.3/node_modules \
    -mindepth 1 -maxdepth 1 ! -name onnxruntime-web ! -name onnxruntime-node ! -name h5wasm
  find "$web" -maxdepth 1 -type f
  echo "$web/dist/ort.webgpu.bundle.min.mjs"
  echo "$web/dist/ort-wasm-simd-threaded.asyncify.mjs"
  echo "$web/dist/ort-wasm-simd-threaded.asyncify.wasm"
  find "$ortn" -maxdepth 1 -type f
  find "$ortn/dist" -type f -name '*.js'
  find "$ortn/bin/napi-v6/linux/x64" -type f
} | grep -v '\.map$' >"$list"
echo "packing $(wc -l <"$list") paths of node_modules (xz, about a minute) ..."
# whole package folders recurse; the trimmed ones are listed file by file
{
  tar -c --exclude='*.map' --exclude='*.d.ts' -f - \
    $(grep -E '^node_modules/\.deno/[^/]+@[^/]+$' "$list") \
    --no-recursion $(grep -v -E '^node_modules/\.deno/[^/]+@[^/]+$' "$list")
} | xz --x86 --lzma2=preset=9e -T0 >.gpu/node_modules.tar.xz.tmp
mv .gpu/node_modules.tar.xz.tmp .gpu/node_modules.tar.xz

# 3. the Vulkan loader (the device may have the NVIDIA ICD but no libvulkan.so.1)
if ! ls .gl/libvulkan1_*amd64.deb >/dev/null 2>&1; then
  echo "downloading libvulkan1 (amd64) into .gl ..."
  mkdir -p /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  # shellcheck disable=SC2086
  apt-get $o update -qq >/dev/null && (cd .gl && apt-get $o download libvulkan1 >/dev/null) || {
    echo "could not download libvulkan1 (no network?); bench/gpu.sh then needs the device's own" >&2
  }
fi

# 4. what travels: tracked + untracked-not-ignored files, plus the carried .gpu and .gl
tree=$( (git ls-files -z --cached --others --exclude-standard | xargs -0 -r stat -L -c %s 2>/dev/null || true) |
  awk '{s+=$1} END {print s+0}')
carried=$(find .gpu .gl -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
total=$((tree + carried))
mib() { awk -v b="$1" 'BEGIN {printf "%.1f MiB", b / 1048576}'; }
echo "working tree $(mib "$tree"), .gpu + .gl $(mib "$carried"): $(mib "$total") of $(mib $LIMIT)"
for f in .gpu/* .gl/*; do [[ -f $f ]] && echo "  $(mib "$(stat -c %s "$f")")  $f"; done
if ((total > LIMIT)); then
  echo "REFUSED: over the device's 64 MiB; largest files that travel:" >&2
  { git ls-files -z --cached --others --exclude-standard | xargs -0 -r stat -L -c '%s %n' 2>/dev/null
    find .gpu .gl -type f -printf '%s %p\n'; } | sort -rn | head -10 |
    while read -r s n; do echo "  $(mib "$s")  $n" >&2; done
  exit 1
fi
echo "ok: run it with carry [\".gpu\", \".gl\"]: bash bench/gpu.sh"
