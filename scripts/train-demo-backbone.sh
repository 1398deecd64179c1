#!/usr/bin/env bash
# Reproduces demo/facelet-demo-backbone.fbb (facelet-demo:3), the backbone the demo ships: a
# quarter-width VGG-19 encoder with seeded random weights (no pretrained weights can be
# downloaded here) and a decoder trained for it on the nine freely licensed training photos of
# scripts/fetch-photos.sh, in seven runs of `train-decoder`:
#
#   1. Eq. 4 (pixel loss + 0.1 x feature loss), 2000 steps from a seeded decoder, output mode
#      `difference` (this alone was facelet-demo:1)
#   2. + the paired-edit term (mu 10), 2000 steps, learning rate 5e-4 decaying to 1e-4
#   3. the same, 3000 steps, 3e-4 decaying to 9e-5
#   4. the paired-edit term alone (pixel weight 0, omega 0), 300 steps at 3e-4
#   5. the same, 3000 steps, 5e-4 decaying to 1e-4 (this was facelet-demo:2)
#   6. converted to output mode `affine-difference` (the decoder's three output channels become
#      the offset of a per-pixel colour transform, so edits start out identical) and trained on
#      the paired-edit term alone, 2500 steps, 5e-4 decaying to 1e-4
#   7. the same, 4000 steps, 3e-4 decaying to 9e-5
#
# Runs 2-7 teach the decoder to render a shift of the features as the pixel change it stands
# for, which is all a decoder that adds its output to the photo is used for (docs/training.md).
# Batches of 8 crops of 64 px throughout. About 100 minutes on 2 cores: runs 2-3 took 35 and
# runs 4-5 19 here with other work on the machine, run 1 was timed at 10 on a quiet machine;
# runs 6 and 7 took 12 and 20 minutes on a quiet machine (2026-12-04).
#
#   scripts/train-demo-backbone.sh
#
# Each run is deterministic for its seed and thread count; another build of the tensor kernels
# can change the last bits. Each run checkpoints into .cache/demo-backbone/ (the checkpoint is
# removed once its backbone is written) and the intermediate backbones stay there, so an
# interrupted script resumes where it stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
photos=$(scripts/fetch-photos.sh)/train
swift build -c release --product facelet-registry
bin=$(swift build -c release --show-bin-path)/facelet-registry
work=.cache/demo-backbone
mkdir -p "$work" demo

# stage NAME FROM VERSION OUTPUT [train-decoder options...]: one run, skipped when done.
stage() {
    local name=$1 from=$2 version=$3 output=$4
    shift 4
    if [ -f "$output" ] && [ -f "$work/$name.done" ]; then
        echo "== $name: done ($output)" >&2
        return
    fi
    echo "== $name" >&2
    "$bin" train-decoder --backbone "$from" --photos "$photos" --batch 8 \
        --checkpoint "$work/$name.ckpt" --name facelet-demo --version "$version" \
        -o "$output" "$@"
    touch "$work/$name.done"
}

[ -f "$work/random.fbb" ] || "$bin" new-backbone --width 0.25 --seed 7 \
    --output-mode difference --name facelet-demo --version 0 -o "$work/random.fbb"
stage 1-eq4 "$work/random.fbb" 1 "$work/1-eq4.fbb" --steps 2000 --seed 7
stage 2-pairs "$work/1-eq4.fbb" 1 "$work/2-pairs.fbb" --steps 2000 --seed 11 \
    --edit-pairs 10 --learning-rate 0.0005 --final-lr 0.2
stage 3-pairs "$work/2-pairs.fbb" 1 "$work/3-pairs.fbb" --steps 3000 --seed 12 \
    --edit-pairs 10 --learning-rate 0.0003 --final-lr 0.3
stage 4-edits "$work/3-pairs.fbb" 1 "$work/4-edits.fbb" --steps 300 --seed 13 \
    --edit-pairs 10 --pixel-weight 0 --omega 0 --learning-rate 0.0003
stage 5-edits "$work/4-edits.fbb" 2 "$work/5-edits.fbb" --steps 3000 --seed 14 \
    --edit-pairs 10 --pixel-weight 0 --omega 0 --learning-rate 0.0005 --final-lr 0.2
stage 6-affine "$work/5-edits.fbb" 3 "$work/6-affine.fbb" --steps 2500 --seed 15 \
    --output-mode affine-difference --edit-pairs 10 --pixel-weight 0 --omega 0 \
    --learning-rate 0.0005 --final-lr 0.2
stage 7-affine "$work/6-affine.fbb" 3 demo/facelet-demo-backbone.fbb --steps 4000 --seed 16 \
    --edit-pairs 10 --pixel-weight 0 --omega 0 --learning-rate 0.0003 --final-lr 0.3
sum=$(sha256sum demo/facelet-demo-backbone.fbb | cut -d" " -f1)
echo "wrote demo/facelet-demo-backbone.fbb (sha256 of the file: $sum)"
