#!/usr/bin/env bash
# CI step: build the evaluation image for real and run it like the organisers, without a GPU
# and without Docker Hub.
#
#   1. apt-get install docker.io debootstrap (as root)
#   2. start a private dockerd (data root in a temp dir, own socket, no bridge, no iptables)
#   3. base image: debootstrap --variant=minbase bookworm + docker import (the rootfs tarball
#      is cached in $CMRXKIT_CI_CACHE, default /var/cache/cmrxkit-ci)
#   4. deno task container build --base <that> --cpu --network host
#   5. a small synthetic test split; deno task container run (--network none, /input
#      read-only, non-root --user, read-only root file system); deno task validate
#   6. the same split in two shards with the SLURM and Kubernetes templates (docker/slurm,
#      docker/k8s), merged inside the image and validated
#   7. deno task container evaluate (score + leaderboard record in a temp CMRXKIT_HOME)
#   8. deno task container save
#   reports build time, image size, run time; stops the daemon and cleans up (trap).
#
# Exit status: 0 passed, 1 failed, 77 skipped (no root, no apt, or docker cannot run here).
set -uo pipefail
cd "$(dirname "$0")/.."

DENO="${DENO:-npx -y deno@2.9.6}"
CACHE="${CMRXKIT_CI_CACHE:-/var/cache/cmrxkit-ci}"
MIRROR="${CMRXKIT_CI_MIRROR:-http://deb.debian.org/debian}"
SUITE=bookworm
BASE_TAG="cmrxkit-ci/debian:${SUITE}-minbase"
APP_TAG="cmrxkit:ci"
export NO_COLOR=1 DENO_NO_UPDATE_CHECK=1

skip() {
  echo "container CI: SKIPPED: $*"
  exit 77
}
fail() {
  echo "container CI: FAILED: $*"
  exit 1
}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

[ "$(id -u)" = 0 ] || skip "needs root to start a Docker daemon (run .ci/run as root)"
command -v apt-get >/dev/null || skip "needs apt-get to install docker.io and debootstrap"

need=""
command -v dockerd >/dev/null || need="$need docker.io"
command -v debootstrap >/dev/null || need="$need debootstrap"
if [ -n "$need" ]; then
  echo "== apt-get install$need"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends $need >/tmp/cmrxkit-ci-docker-apt.log 2>&1) ||
    skip "apt-get install$need failed (see /tmp/cmrxkit-ci-docker-apt.log)"
fi

TMP=$(mktemp -d /tmp/cmrxkit-ci-container.XXXXXX)
DOCKERD_PID=""
cleanup() {
  local rc=$?
  if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    docker ps -aq 2>/dev/null | xargs -r docker rm -f >/dev/null 2>&1
    kill "$DOCKERD_PID" 2>/dev/null
    for _ in $(seq 1 30); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$DOCKERD_PID" 2>/dev/null
  fi
  # Anything the daemon left mounted under the temp dir (overlay layers, shm) goes first.
  grep -o " $TMP[^ ]*" /proc/self/mounts 2>/dev/null | sort -r | xargs -r -n1 umount -l 2>/dev/null
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT INT TERM

# 2. A private daemon: its own data root, exec root and socket, so it never meets a system
#    dockerd; no bridge and no iptables rules to leave behind.
export DOCKER_HOST="unix://$TMP/docker.sock"
mkdir -p "$TMP/docker" "$TMP/exec"
dockerd --data-root "$TMP/docker" --exec-root "$TMP/exec" --pidfile "$TMP/docker.pid" \
  --host "$DOCKER_HOST" --iptables=false --bridge=none \
  ${CMRXKIT_CI_STORAGE_DRIVER:+--storage-driver "$CMRXKIT_CI_STORAGE_DRIVER"} \
  >"$TMP/dockerd.log" 2>&1 &
DOCKERD_PID=$!
for _ in $(seq 1 60); do
  docker version >/dev/null 2>&1 && break
  kill -0 "$DOCKERD_PID" 2>/dev/null || break
  sleep 0.5
done
if ! docker version >/dev/null 2>&1; then
  tail -5 "$TMP/dockerd.log"
  skip "dockerd did not start here (no privileges for containers?); log above"
fi
echo "== dockerd $(docker version --format '{{.Server.Version}}'), storage driver $(docker info --format '{{.Driver}}')"

# 3. The base image, from a cached debootstrap tarball.
mkdir -p "$CACHE"
tarball="$CACHE/debian-$SUITE-minbase.tar.gz"
t0=$(now)
if [ ! -s "$tarball" ]; then
  echo "== debootstrap --variant=minbase $SUITE (cached afterwards in $tarball)"
  debootstrap --variant=minbase "$SUITE" "$TMP/rootfs" "$MIRROR" >"$TMP/debootstrap.log" 2>&1 ||
    { tail -5 "$TMP/debootstrap.log"; fail "debootstrap failed"; }
  rm -rf "$TMP/rootfs/var/cache/apt/archives/"*.deb "$TMP/rootfs/var/lib/apt/lists/"*
  tar -C "$TMP/rootfs" -c . | gzip -1 >"$tarball.tmp" && mv "$tarball.tmp" "$tarball" ||
    fail "could not write $tarball"
  rm -rf "$TMP/rootfs"
fi
docker import "$tarball" "$BASE_TAG" >/dev/null || fail "docker import of $tarball failed"
t_base=$(secs "$t0" "$(now)")
docker run --rm --network none "$BASE_TAG" true 2>"$TMP/run-probe.log" || {
  cat "$TMP/run-probe.log"
  skip "docker cannot run containers here (see above)"
}
echo "== base image $BASE_TAG ready in ${t_base} s"

# 4. The app image FROM that base, CPU provider (no NuGet, no GPU here).
t0=$(now)
$DENO task container build --tag "$APP_TAG" --base "$BASE_TAG" --cpu --network host \
  2>&1 | tee "$TMP/build.log" | grep -vE '^(npm warn|Step [0-9]+/|Sending build context| ---> |Removing intermediate)' |
  tail -40
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "image build failed (log: see above)"
t_build=$(secs "$t0" "$(now)")
size=$(docker image inspect --format '{{.Size}}' "$APP_TAG")
size_mib=$((size / 1024 / 1024))
grep -q "self-test: passed" "$TMP/build.log" || fail "the image self-test did not pass"
grep "self-test:" "$TMP/build.log" | sed 's/^/   /'

# 5. A small synthetic test split, run like the organisers.
$DENO task synth --out "$TMP/data" --test --no-validation --patients 1 >"$TMP/synth.log" 2>&1 ||
  { tail -5 "$TMP/synth.log"; fail "synth failed"; }
chmod -R a+rX "$TMP/data" # the container's user (uid 1000) reads the input
t0=$(now)
$DENO task container run --image "$APP_TAG" --input "$TMP/data" --output "$TMP/out" \
  --user 1000:1000 --strict 2>&1 | grep -v '^npm warn' | tee "$TMP/run.log" | tail -25
rc=${PIPESTATUS[0]}
t_run=$(secs "$t0" "$(now)")
[ "$rc" -eq 0 ] || fail "the container run failed (exit $rc)"
grep -q "input mount: read-only" "$TMP/run.log" || fail "/input was not read-only in the container"
grep -q "network: none" "$TMP/run.log" || fail "the container had a network"
grep -q "user: uid 1000" "$TMP/run.log" || fail "the container did not run as uid 1000"
grep -q "test split, full size" "$TMP/run.log" || fail "the container did not pick the test split"
owner=$(stat -c %u "$TMP/out/Submission")
[ "$owner" = 1000 ] || fail "output owned by uid $owner, not the container's user"
$DENO task validate "$TMP/out" --input "$TMP/data" --split test 2>&1 | grep -v '^npm warn' |
  tail -3
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "deno task validate rejected the container's output"

# 6. Two shards through the cluster templates: shard 1/2 with the SLURM array script, shard
#    2/2 with the Kubernetes Indexed Job's command line, then the merge of each template
#    (inside the image), validated against the input.
mkdir -p "$TMP/shards/shard-1" "$TMP/shards/shard-2"
chown -R 1000:1000 "$TMP/shards"
SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=2 ENGINE=docker IMAGE="$APP_TAG" \
  INPUT="$TMP/data" OUTPUT="$TMP/shards" RUN_AS=1000:1000 SHM_SIZE=1g \
  bash docker/slurm/cmrxkit-shard.sbatch >"$TMP/shard1.log" 2>&1 ||
  { tail -20 "$TMP/shard1.log"; fail "shard 1/2 (SLURM template) failed"; }
k8s_cmd=$(sed -nE "s/^ *- '(i=.*JOB_COMPLETION_INDEX.*)'\$/\1/p" docker/k8s/cmrxkit-shards.yaml)
[ -n "$k8s_cmd" ] || fail "no shard command found in docker/k8s/cmrxkit-shards.yaml"
docker run --rm --network none --user 1000:1000 --read-only --tmpfs /tmp \
  -e JOB_COMPLETION_INDEX=1 -e SHARDS=2 -v "$TMP/data:/input:ro" -v "$TMP/shards:/output" \
  --entrypoint /bin/sh "$APP_TAG" -c "$k8s_cmd" >"$TMP/shard2.log" 2>&1 ||
  { tail -20 "$TMP/shard2.log"; fail "shard 2/2 (Kubernetes template) failed"; }
ENGINE=docker IMAGE="$APP_TAG" INPUT="$TMP/data" OUTPUT="$TMP/shards" RUN_AS=1000:1000 \
  SHARDS=2 bash docker/slurm/cmrxkit-merge.sbatch 2>&1 | tee "$TMP/merge.log" |
  grep -E '^(merged into|  [0-9]+/[0-9]+ |problem|OK:|FAIL|error)'
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "merging the shards (SLURM template) failed"
k8s_merge=$(sed -nE "s/^ *- '(set --; .*)'\$/\1/p" docker/k8s/cmrxkit-merge.yaml)
[ -n "$k8s_merge" ] || fail "no merge command found in docker/k8s/cmrxkit-merge.yaml"
docker run --rm --network none --user 1000:1000 --read-only --tmpfs /tmp -e SHARDS=2 \
  -v "$TMP/data:/input:ro" -v "$TMP/shards:/output" --entrypoint /bin/sh "$APP_TAG" \
  -c "$k8s_merge" >"$TMP/merge-k8s.log" 2>&1 ||
  { tail -20 "$TMP/merge-k8s.log"; fail "merging the shards (Kubernetes template) failed"; }
grep -q "0 file(s) copied" "$TMP/merge-k8s.log" || fail "the second merge copied files again"
n_whole=$(find "$TMP/out/Submission" -name '*.mat' | wc -l)
n_merged=$(find "$TMP/shards/merged/Submission" -name '*.mat' | wc -l)
[ "$n_whole" = "$n_merged" ] || fail "merged shards hold $n_merged files, the whole run $n_whole"

# 7. The organisers' harness: run, sample, score, record.
export CMRXKIT_HOME="$TMP/home"
$DENO task container evaluate --image "$APP_TAG" --input "$TMP/data" \
  --truth "$TMP/data/GroundTruth" --time-limit 20m --interval 1s --name ci-eval --quiet \
  2>&1 | tee "$TMP/eval.log" |
  grep -E '^(evaluating|container exit|resources|GPU|OK:|FAIL|  (Cine|Mapping)_SSIM|recorded|PASS|error)'
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "container evaluate failed"
$DENO task leaderboard --split test 2>&1 | grep -q "ci-eval" ||
  fail "the evaluation was not recorded on the leaderboard"

# 8. The tarball to hand in.
t0=$(now)
$DENO task container save --image "$APP_TAG" --out "$TMP/cmrxkit-ci.tar.gz" 2>&1 |
  grep -v '^npm warn' | tail -1
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "container save failed"
t_save=$(secs "$t0" "$(now)")
gz=$(stat -c %s "$TMP/cmrxkit-ci.tar.gz")
gzip -t "$TMP/cmrxkit-ci.tar.gz" || fail "the saved tarball is not valid gzip"

files=$(sed -nE 's/^([0-9]+) file\(s\): .* written.*/\1/p' "$TMP/run.log" | tail -1)
in_container=$(sed -nE 's/^container exited with code 0 after (.*)$/\1/p' "$TMP/run.log" | tail -1)
echo "== container CI figures: base image ${t_base} s, build ${t_build} s, image size" \
  "${size_mib} MiB; run of the test split (${files} files, 1 patient, small): container" \
  "${in_container} (${t_run} s with the host CLI); save ${t_save} s -> $((gz / 1024 / 1024)) MiB"
grep -E '^(container exit|resources)' "$TMP/eval.log" | sed 's/^/   evaluate: /'
echo "container CI: PASSED"
exit 0
