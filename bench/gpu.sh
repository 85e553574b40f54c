#!/usr/bin/env bash
# The prepared device run (issue 20), from the repository root of a copy that carries .gpu
# and .gl (built here by `bash bench/gpu_pack.sh`). On a lent NVIDIA machine with no Deno,
# no Node and no network:
#   bash bench/gpu.sh [ARGS of `deno task bench gpu`]
# unpacks Deno (.gpu/deno.xz) and node_modules (.gpu/node_modules.tar.xz), the Vulkan loader
# (.gl/*.deb) when the machine has none, points Vulkan at the NVIDIA driver, prints
# `nvidia-smi -L`, and runs `deno task bench gpu` (bench/gpu.ts, with --cached-only: at most
# 450 s) with an empty DENO_DIR,
# writing gpu.json, gpu.md and gpu.log to $OUT (else out/gpu).
#
#   bash bench/gpu.sh --dry-run [ARGS]
# does the same here, without CUDA, on any WebGPU adapter (lavapipe) at tiny sizes: in a
# temporary copy of the tree (tracked + untracked-not-ignored files + .gpu + .gl, as the
# device gets it), with no network (`unshare -n` when it works), Deno and node_modules
# taken from .gpu alone. At most 300 s.
set -uo pipefail
cd "$(dirname "$0")/.."
dry=0
if [[ "${1:-}" == "--dry-run" ]]; then
  dry=1
  shift
fi
say() { echo "gpu.sh: $*" >&2; }

if [[ $dry == 1 && -z "${CMRX_GPU_COPY:-}" ]]; then
  [[ -s .gpu/deno.xz && -s .gpu/node_modules.tar.xz ]] || {
    say "no .gpu/deno.xz or .gpu/node_modules.tar.xz: run bash bench/gpu_pack.sh first"
    exit 2
  }
  tmp=$(mktemp -d /tmp/cmrxkit-gpu-dry.XXXXXX)
  trap 'rm -rf "$tmp"' EXIT
  git ls-files -z --cached --others --exclude-standard |
    xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' _ |
    tar --null -T - -cf - | tar -xf - -C "$tmp"
  cp -r .gpu "$tmp/"
  [[ -d .gl ]] && cp -r .gl "$tmp/"
  out=${OUT:-$PWD/out/gpu-dry}
  mkdir -p "$out"
  say "dry run in $tmp (a copy of what travels), results to $out"
  offline=(env)
  if unshare -n true 2>/dev/null; then
    offline=(unshare -n)
    say "no network: unshare -n"
  else
    say "unshare -n not allowed here: offline only by an empty DENO_DIR and a dead proxy"
    export HTTPS_PROXY=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9
  fi
  (cd "$tmp" && CMRX_GPU_COPY=1 OUT="$out" "${offline[@]}" bash bench/gpu.sh --dry-run "$@")
  exit $?
fi

t0=$(date +%s)
bin=$PWD/.gpu/bin
mkdir -p "$bin"
# 1. Deno
if [[ ! -x $bin/deno ]]; then
  [[ -s .gpu/deno.xz ]] || {
    say "no .gpu/deno.xz: run bash bench/gpu_pack.sh where Deno exists, and carry .gpu"
    exit 2
  }
  if command -v xz >/dev/null; then
    xz -dc .gpu/deno.xz >"$bin/deno.tmp"
  else
    python3 -c 'import lzma,sys; sys.stdout.buffer.write(lzma.open(sys.argv[1]).read())' \
      .gpu/deno.xz >"$bin/deno.tmp"
  fi && chmod +x "$bin/deno.tmp" && mv "$bin/deno.tmp" "$bin/deno" || {
    say "could not unpack .gpu/deno.xz"
    exit 2
  }
fi
export PATH=$bin:$PATH
# 2. node_modules (kept when already there)
if [[ ! -d node_modules/.deno ]]; then
  if command -v xz >/dev/null; then
    xz -dc .gpu/node_modules.tar.xz | tar -xf -
  else
    python3 -c 'import tarfile,sys; tarfile.open(sys.argv[1]).extractall(".")' .gpu/node_modules.tar.xz
  fi || {
    say "could not unpack .gpu/node_modules.tar.xz"
    exit 2
  }
fi
# 3. Vulkan: the loader, and the NVIDIA driver's ICD file
libs=$(ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null)
if [[ $libs != *libvulkan.so.1* ]]; then
  if [[ $dry == 1 ]]; then
    say "no libvulkan.so.1 here: install libvulkan1 and mesa-vulkan-drivers (not unpacked into / in a dry run)"
  elif ls .gl/*.deb >/dev/null 2>&1; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
    say "installed the Vulkan loader from .gl"
  else
    say "no libvulkan.so.1 and no .gl/*.deb: WebGPU will find no adapter"
  fi
fi
if [[ $dry == 0 && -z "${VK_DRIVER_FILES:-}" && -z "${VK_ICD_FILENAMES:-}" ]]; then
  if ! ls /usr/share/vulkan/icd.d/nvidia*.json /etc/vulkan/icd.d/nvidia*.json >/dev/null 2>&1; then
    for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/icd.d/nvidia_icd.json; do
      [[ -f $f ]] && export VK_DRIVER_FILES=$f && break
    done
  fi
fi
[[ -n "${VK_DRIVER_FILES:-}" ]] && say "VK_DRIVER_FILES=$VK_DRIVER_FILES"
XDG_RUNTIME_DIR=$(mktemp -d /tmp/xdg.XXXXXX)
chmod 700 "$XDG_RUNTIME_DIR"
DENO_DIR=$(mktemp -d /tmp/deno-dir.XXXXXX) # empty: nothing is taken from a cache or the network
export XDG_RUNTIME_DIR DENO_DIR NO_COLOR=1 DENO_NO_UPDATE_CHECK=1 DENO_NO_PROMPT=1
out=${OUT:-out/gpu}
mkdir -p "$out"
{
  echo "deno: $(deno --version | head -1); python3: $(python3 --version 2>&1)"
  if command -v nvidia-smi >/dev/null; then nvidia-smi -L 2>&1; else echo "no nvidia-smi"; fi
  echo "unpacked in $(($(date +%s) - t0)) s"
} | tee "$out/gpu.log"
if [[ $dry == 1 ]]; then
  limit=300
  set -- --dry-run "$@"
else
  limit=450
fi
# `deno task bench gpu` is `deno run -A bench/main.ts gpu`, which runs bench/gpu.ts; run it
# directly with --cached-only: Deno then asks no registry (without it Deno 2.9 tries to fetch
# the npm packuments of deno.json's imports, fails offline, and goes on from node_modules)
timeout -k 10 $limit deno run --cached-only -A bench/gpu.ts --out "$out" "$@" 2>&1 | tee -a "$out/gpu.log"
rc=${PIPESTATUS[0]}
[[ $rc == 124 ]] && say "stopped at the $limit s limit"
say "exit $rc after $(($(date +%s) - t0)) s; results in $out"
exit "$rc"
