#!/usr/bin/env bash
# The main job end to end, from a fresh clone on Debian 12:
#   set-up -> build -> a store -> the shipped demo backbone -> an effect learned on the spot
#   from real photos -> publish (with heat-map thumbnails) -> edit a held-out portrait at
#   several strengths -> audit where the effect acts -> verify the store.
#
#   scripts/demo.sh [OUTPUT_DIR]          # default: demo-output
#
# The effect is a known-answer one: Y is the training photos with a warm colour grade, so the
# right edit of any photo is known and visible. Training the effect takes seconds on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-demo-output}
say() { printf '\n== %s\n' "$*" >&2; }

say "set-up (Debian packages, Python references for the tests)"
scripts/setup.sh

say "photos (Debian's python3-skimage data, unpacked, not installed)"
photos=$(scripts/fetch-photos.sh)

say "build (release)"
swift build -c release --product facelet-registry
bin="$(swift build -c release --show-bin-path)/facelet-registry"
registry() { "$bin" --store "$out/store" --config registry.json "$@"; }

mkdir -p "$out"
say "store in $out/store"
registry init

say "publish the demo backbone (quarter-width VGG-19, decoder trained by scripts/train-demo-backbone.sh)"
registry publish demo/facelet-demo-backbone.fbb

say "learn the effect 'warm' from two folders: X = photos, Y = the same photos warm-graded"
registry transform-photos --photos "$photos/train" --transform warm-grade -o "$out/warm-target"
# Y holds X's photos edited, so crops are cut at the same places in both (--paired); Eq. 6
# still finds each crop's neighbour in Y by search, on a 4 x 4 grid of the features (K = 1).
# The bank acts on relu3_1, the level the demo decoder renders colour changes from. A colour
# effect asks for a guided change (fitted to the photo's colours in 65-px windows), which keeps
# the photo's detail in the edit.
registry train warm --backbone facelet-demo --source "$photos/train" --target "$out/warm-target" \
    --paired --k 1 --neighbour-grid 4 --levels 3 --samples 128 --epochs 10 --guide-radius 32 \
    --description "Warm colour grade, learned from Debian's skimage photos" -o "$out/warm-1.fbk"
registry publish "$out/warm-1.fbk"
registry show warm

say "edit a held-out portrait at several strengths"
for strength in 0 0.5 1 1.5; do
    registry apply warm "$photos/heldout/astronaut.png" --strength "$strength" \
        -o "$out/astronaut-warm-$strength.png"
done
registry apply warm "$photos/heldout/chelsea.png" -o "$out/chelsea-warm-1.png"

say "audit: where the effect acts (Eq. 8 heat maps)"
registry audit warm --image "$photos/heldout/astronaut.png" -o "$out/audit"

say "verify the store"
registry verify

cat <<TXT

Done. Outputs in $out/:
  astronaut-warm-0.png      λ = 0: the backbone's reconstruction (the photo itself)
  astronaut-warm-0.5.png    half strength
  astronaut-warm-1.png      the learned effect
  astronaut-warm-1.5.png    extrapolated
  chelsea-warm-1.png        another held-out photo
  audit/                    heat maps per level and combined, laid over the photo, + stats.json
  store/                    the registry store (try: $bin --store $out/store list)
TXT
