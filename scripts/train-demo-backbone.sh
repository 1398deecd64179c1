#!/usr/bin/env bash
# Reproduces demo/facelet-demo-backbone.fbb, the backbone the demo ships: a quarter-width
# VGG-19 encoder with seeded random weights (no pretrained weights can be downloaded here) and
# a decoder trained for it on the freely licensed photos of scripts/fetch-photos.sh (Eq. 4:
# pixel loss + 0.1 x feature loss, Adam, 64-pixel crops, batch 8).
#
#   scripts/train-demo-backbone.sh [STEPS]     # default 2000 steps; about 10 minutes on a
#                                              # quiet 2-core machine, up to an hour when loaded
#
# Training is deterministic for a given seed and thread count; another build of the tensor
# kernels can change the last bits of the result. The checkpoint in .cache/ lets an
# interrupted run resume where it stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-2000}
scripts/setup.sh
photos=$(scripts/fetch-photos.sh)
swift build -c release --product facelet-registry
bin=$(swift build -c release --show-bin-path)/facelet-registry
mkdir -p .cache demo
"$bin" new-backbone --width 0.25 --seed 7 --output-mode difference \
    --name facelet-demo --version 0 -o .cache/facelet-demo-random.fbb
"$bin" train-decoder --backbone .cache/facelet-demo-random.fbb --photos "$photos/train" \
    --steps "$steps" --batch 8 --seed 7 --checkpoint .cache/facelet-demo-decoder.ckpt \
    --name facelet-demo --version 1 -o demo/facelet-demo-backbone.fbb
