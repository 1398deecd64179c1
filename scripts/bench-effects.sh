#!/usr/bin/env bash
# The known-answer benchmark of issue 3: learns a global colour grade (warm-grade) and a local
# change (bright-patch) from real photos with the three methods (global-mean, knn, facelet),
# applies them to two held-out photos (astronaut, chelsea) and prints closure, region share and
# the decoder's reconstruction PSNR.
#
#   scripts/bench-effects.sh [BACKBONE] [--json]   # default: demo/facelet-demo-backbone.fbb
set -euo pipefail
cd "$(dirname "$0")/.."
backbone=${1:-demo/facelet-demo-backbone.fbb}
shift || true
scripts/setup.sh
photos=$(scripts/fetch-photos.sh)
swift build -c release --product facelet-registry
bin="$(swift build -c release --show-bin-path)/facelet-registry"
for transform in warm-grade bright-patch; do
    echo "== $transform"
    "$bin" bench-effect --backbone "$backbone" --photos "$photos/bench" --held-out 2 \
        --transform "$transform" "$@"
done
