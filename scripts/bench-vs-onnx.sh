#!/usr/bin/env bash
# Times the engine (facelet-bench, release build) and the ONNX Runtime peer
# (../shared/bench/peer_onnx.py) on the same network and machine, alternating them over several
# rounds, and prints the ratio ours/peer per stage for every round and the median over rounds.
# On a shared machine only ratios of runs that met the same load mean anything: each round runs
# both back to back, and the order flips every round (peer first, then ours first) so that a
# load that rises or falls during a round does not always favour the same side.
#
#   scripts/bench-vs-onnx.sh [--size "256 448"] [--threads "2"] [--runs 5] [--warmup 2]
#                            [--rounds 3]
#
# Environment: PEER_VENV (default /tmp/peer), SCRATCH (swift build scratch path, default
# .build), PEER (the peer script, default ../shared/bench/peer_onnx.py).
set -euo pipefail
cd "$(dirname "$0")/.."

sizes="256 448"
threads="2"
runs=5
warmup=2
rounds=3
while [ $# -gt 0 ]; do
    case "$1" in
        --size|--sizes) sizes="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        *) echo "bench-vs-onnx.sh: unknown argument $1" \
                "(--size, --threads, --runs, --warmup, --rounds)" >&2
           exit 2 ;;
    esac
done

venv="${PEER_VENV:-/tmp/peer}"
scratch="${SCRATCH:-.build}"
peer="${PEER:-../shared/bench/peer_onnx.py}"

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import onnx, onnxruntime" 2>/dev/null
then
    echo "setting up the peer in $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q numpy onnx onnxruntime
fi

swift build -c release --scratch-path "$scratch" --product facelet-bench >&2
ours="$scratch/release/facelet-bench"

lines="$(mktemp)"
trap 'rm -f "$lines"' EXIT
load() { cut -d' ' -f1-3 /proc/loadavg; }
run_peer() {
    "$venv/bin/python" "$peer" --size "$1" --threads "$2" --runs "$runs" --warmup "$warmup" \
        | grep '"stage"' | sed "s/}\$/, \"round\": $3}/" | tee -a "$lines"
}
run_ours() {
    "$ours" --size "$1" --threads "$2" --runs "$runs" --warmup "$warmup" --json \
        | sed "s/}\$/, \"round\": $3}/" | tee -a "$lines"
}
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -m) $(nproc) cpus, load: $(load)"
for size in $sizes; do
    for t in $threads; do
        for round in $(seq 1 "$rounds"); do
            echo "# size $size threads $t round $round $(date -u +%H:%M:%S) load: $(load)"
            if [ $((round % 2)) -eq 1 ]; then
                run_peer "$size" "$t" "$round"; run_ours "$size" "$t" "$round"
            else
                run_ours "$size" "$t" "$round"; run_peer "$size" "$t" "$round"
            fi
        done
    done
done
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) load after: $(load)"

python3 - "$lines" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
t = {(r["runtime"], r["stage"], r["size"], r["threads"], r["round"]): r for r in rows}
rounds = sorted({r["round"] for r in rows})
stages = ["encoder", "facelet", "decoder", "strength_change", "full"]
cells = [(s, s) for s in stages] + [("strength_change", "decoder")]
def name(ours, peer):
    return ours if ours == peer else f"{ours} vs ORT {peer}"
print()
print("| size | threads | stage | " + " | ".join(f"round {r} ours/ORT (s)" for r in rounds)
      + " | median ratio |")
print("|---|---|---|" + "---|" * len(rounds) + "---|")
for size, th in sorted({(r["size"], r["threads"]) for r in rows}, key=lambda k: (k[0], -k[1])):
    for ours_stage, peer_stage in cells:
        cols, ratios = [], []
        for rd in rounds:
            o = t.get(("facelet", ours_stage, size, th, rd))
            p = t.get(("onnxruntime", peer_stage, size, th, rd))
            if o is None or p is None:
                cols.append("")
                continue
            ratio = o["median_s"] / p["median_s"]
            ratios.append(ratio)
            cols.append(f"{ratio:.2f} ({o['median_s']:.3f}/{p['median_s']:.3f})")
        if ratios:
            print(f"| {size} | {th} | {name(ours_stage, peer_stage)} | " + " | ".join(cols)
                  + f" | **{statistics.median(ratios):.2f}** |")
PY
