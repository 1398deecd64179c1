#!/usr/bin/env bash
# The known-answer benchmark of issue 3. Y is built from real photos X with a fixed photo
# transform T; global-mean (Eq. 5), knn (Eq. 6's Δv* applied directly) and the learned facelet
# bank (Eq. 6 + 7) are trained on crops of nine photos and applied to crops of two held-out
# photos (astronaut, chelsea) that neither the decoder nor any bank saw. Prints, per run, the
# closure 1 - |z - T(x)| / |x - T(x)|, the share of the heat map inside T's region (local T),
# the oracle (the exact feature change, decoded) and the decoder's reconstruction PSNR, then
# checks the issue's first bar.
#
#   scripts/bench-effects.sh [BACKBONE]      # default: demo/facelet-demo-backbone.fbb
#
# Runs (all with 32 evaluation crops per held-out photo, seed 1 unless said):
#   1. warm-grade, Y = T(X) as sets, K = 1, neighbours on a 4 x 4 grid, the bank on relu3_1,
#      rendered with a guided change of radius 32 px (a colour effect's setting, as the demo's
#      effect is trained); repeated with seeds 2-5 (other crops, another start for the bank),
#      since one bank's figure varies by about +-0.06 from seed to seed: the bar is checked on
#      the mean of the five
#   2. the same without the guided change: reported
#   3. shadow-lift (a local change where the photo is dark), the settings of 2
#   4. bright-patch (a fixed ellipse in every crop), the settings of 2: reported, not in the bar
#   5. warm-grade with train's defaults (Y = T of other crops, K = 100, all levels): reported
# About 3 minutes on a quiet 2-core machine (3 min 2 s measured on 2026-12-04).
set -euo pipefail
cd "$(dirname "$0")/.."
backbone=${1:-demo/facelet-demo-backbone.fbb}
scripts/setup.sh
photos=$(scripts/fetch-photos.sh)
swift build -c release --product facelet-registry >&2
bin="$(swift build -c release --show-bin-path)/facelet-registry"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

common=(--backbone "$backbone" --photos "$photos/bench" --held-out 2 --eval-crops 32)
learned=(--paired --k 1 --neighbour-grid 4 --levels 3 --samples 128 --epochs 10)
# run NAME SEED [bench-effect options...]
run() {
    local name=$1 seed=$2
    shift 2
    echo "== $name: facelet-registry bench-effect ${common[*]} --seed $seed $*" >&2
    "$bin" bench-effect "${common[@]}" --seed "$seed" "$@" --json >"$out/$name.json"
}
run warm-grade 1 --transform warm-grade "${learned[@]}" --guide-radius 32
for seed in 2 3 4 5; do
    run "warm-grade-seed$seed" "$seed" --transform warm-grade "${learned[@]}" --guide-radius 32
done
run warm-grade-unguided 1 --transform warm-grade "${learned[@]}"
run shadow-lift 1 --transform shadow-lift "${learned[@]}"
run bright-patch 1 --transform bright-patch "${learned[@]}"
run warm-grade-defaults 1 --transform warm-grade

python3 - "$out" <<'PY'
import json, sys
folder = sys.argv[1]
def load(name):
    with open(f"{folder}/{name}.json") as f:
        return json.load(f)
def alone(result):
    psnr = result["reconstruction"].get("decoder_psnr")
    return "n/a (a colour-transform decoder)" if psnr is None else f"{psnr:.1f} dB"
def method(result, name):
    return next(m for m in result["methods"] if m["method"] == name)
for name in ["warm-grade", "warm-grade-unguided", "shadow-lift", "bright-patch",
             "warm-grade-defaults"]:
    r = load(name)
    print(f"\n== {name}: {r['transform']}, {'paired' if r['paired'] else 'unpaired'}, "
          f"K {r['k']}, levels {','.join(r['levels'])}, {r['training_samples']} crops per set, "
          f"{r['evaluation_samples']} held-out crops, transform RMS {r['transform_rms']:.4f}"
          + (f", guided change radius {r['guide']['radius']} px" if r.get("guide") else ""))
    if r.get("own_edit_found") is not None:
        print(f"   Eq. 6 found each crop's own edit as nearest in Y for "
              f"{100 * r['own_edit_found']:.1f} % of X")
    print(f"   {'method':<12}{'closure λ=1':>12}{'best λ':>8}{'best':>8}{'feature':>9}"
          f"{'region share':>14}")
    for m in r["methods"]:
        share = "-" if m.get("region_share") is None else f"{m['region_share']:.3f}"
        print(f"   {m['method']:<12}{m['closure']:>12.3f}{m['best_strength']:>8}"
              f"{m['best_closure']:>8.3f}{m['feature_closure']:>9.3f}{share:>14}")
    extra = ""
    if r.get("oracle_region_share") is not None:
        extra = (f", region share {r['oracle_region_share']:.3f}; region area "
                 f"{r['region_area']:.3f}")
    print(f"   oracle closure {r['oracle_closure']:.3f}{extra}")
    print(f"   PSNR: λ = 0 edit path {r['reconstruction']['edit_path_psnr']:.1f} dB, decoder "
          f"alone {alone(r)}")
warm, shadow = load("warm-grade"), load("shadow-lift")
seeds = [warm] + [load(f"warm-grade-seed{seed}") for seed in range(2, 6)]
closures = [method(r, "facelet")["closure"] for r in seeds]
means = [method(r, "global-mean")["closure"] for r in seeds]
oracles = [r["oracle_closure"] for r in seeds]
average = sum(closures) / len(closures)
print(f"\n== warm-grade with the guided change, seeds 1-5")
print("   facelet closure λ=1: " + ", ".join(f"{c:.3f}" for c in closures)
      + f"; mean {average:.3f}, range {min(closures):.3f} to {max(closures):.3f}")
print("   global-mean: " + ", ".join(f"{c:.3f}" for c in means)
      + "; oracle: " + ", ".join(f"{c:.3f}" for c in oracles))
share = method(shadow, "facelet")["region_share"]
psnr = warm["reconstruction"]["edit_path_psnr"]
checks = [
    (f"facelet closes >= 60 % of |x - T(x)| on held-out photos, mean of seeds 1-5: "
     f"{average:.3f} (seed 1: {closures[0]:.3f})", average >= 0.6),
    (f"facelet beats global-mean, every seed: facelet at least {min(closures):.3f}, "
     f"global-mean at most {max(means):.3f}",
     all(c > m for c, m in zip(closures, means))),
    (f"local T: >= 60 % of the heat-map mass inside the region: {share:.3f} "
     f"(the region covers {shadow['region_area']:.3f})", share >= 0.6),
    (f"reconstruction at λ = 0 >= 25 dB: {psnr:.1f} dB (decoder alone "
     f"{alone(warm)})", psnr >= 25),
]
print("\n== the first bar of issue 3")
for text, ok in checks:
    print(("met     " if ok else "NOT met ") + text)
PY
