#!/bin/bash
# Runs the sharded job, waits for it, then runs the merge and prints its verdict.
#   docker/k8s/run.sh [NAMESPACE] [TIMEOUT]     e.g. docker/k8s/run.sh cmrx 4h
set -euo pipefail
ns=${1:-default}
timeout=${2:-4h}
here=$(cd "$(dirname "$0")" && pwd)
k() { kubectl --namespace "$ns" "$@"; }
k delete job cmrxkit-shards cmrxkit-merge --ignore-not-found
k apply -f "$here/cmrxkit-shards.yaml"
if ! k wait --for=condition=complete job/cmrxkit-shards --timeout="$timeout"; then
  echo "the shards did not all complete; the merge below says which are missing" >&2
fi
k apply -f "$here/cmrxkit-merge.yaml"
k wait --for=condition=complete job/cmrxkit-merge --timeout=1h || true
k logs job/cmrxkit-merge
k get job cmrxkit-merge -o jsonpath='{.status.succeeded}' | grep -q 1
