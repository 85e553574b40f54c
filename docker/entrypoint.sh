#!/bin/sh
# Entrypoint of the cmrxkit evaluation image.
#
#   docker run --rm --network none -v DATA:/input:ro -v OUT:/output IMAGE [submit flags]
#       reconstructs whatever /input holds (TestSet: full size, no reduction; else
#       ValidationSet: run4Ranking reduction), models chosen per case, into /output
#   docker run ... IMAGE --shard 2/4           one shard of four (cluster runs)
#   docker run ... IMAGE cmrxkit COMMAND ...   any cmrxkit command, e.g. container merge
#
# Runs offline: --cached-only (every module and npm package is in the image).
set -eu
cd /opt/cmrxkit
exec deno run --cached-only --no-prompt -A cli/main.ts container entrypoint "$@"
