#!/usr/bin/env bash
# Times the engine (facelet-bench, release build) and the ONNX Runtime peer
# (../shared/bench/peer_onnx.py) back to back on the same network and machine, and prints the
# ratio ours/peer per stage. Only ratios from one run mean anything on a shared machine.
#
#   scripts/bench-vs-onnx.sh [--size "256 448"] [--threads "2"] [--runs 5] [--warmup 2]
#
# Environment: PEER_VENV (default /tmp/peer), SCRATCH (swift build scratch path, default
# .build), PEER (the peer script, default ../shared/bench/peer_onnx.py).
set -euo pipefail
cd "$(dirname "$0")/.."

sizes="256 448"
threads="2"
runs=5
warmup=2
while [ $# -gt 0 ]; do
    case "$1" in
        --size|--sizes) sizes="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        *) echo "bench-vs-onnx.sh: unknown argument $1 (--size, --threads, --runs, --warmup)" >&2
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
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(uname -m) $(nproc) cpus, load: $(load)"
for size in $sizes; do
    for t in $threads; do
        # Peer first, then ours, per size and thread count, so both meet the same load.
        "$venv/bin/python" "$peer" --size "$size" --threads "$t" --runs "$runs" \
            --warmup "$warmup" | grep '"stage"' | tee -a "$lines"
        "$ours" --size "$size" --threads "$t" --runs "$runs" --warmup "$warmup" --json \
            | tee -a "$lines"
    done
done
echo "# load after: $(load)"

python3 - "$lines" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
t = {(r["runtime"], r["stage"], r["size"], r["threads"]): r for r in rows}
print()
print("| size | threads | stage | ours s | ORT s | ours/ORT | ours GFLOP/s | ORT GFLOP/s |")
print("|---|---|---|---|---|---|---|---|")
for (rt, st, size, th), r in sorted(t.items(), key=lambda kv: (kv[0][2], -kv[0][3])):
    if rt != "facelet":
        continue
    p = t.get(("onnxruntime", st, size, th))
    if p is None:
        continue
    print(f"| {size} | {th} | {st} | {r['median_s']:.3f} | {p['median_s']:.3f} | "
          f"{r['median_s'] / p['median_s']:.2f} | {r['gflops']} | {p['gflops']} |")
    if st == "strength_change" and ("onnxruntime", "decoder", size, th) in t:
        d = t[("onnxruntime", "decoder", size, th)]
        print(f"| {size} | {th} | strength_change vs ORT decoder | {r['median_s']:.3f} | "
              f"{d['median_s']:.3f} | {r['median_s'] / d['median_s']:.2f} | | |")
PY
