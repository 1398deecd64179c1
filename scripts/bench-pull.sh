#!/usr/bin/env bash
# Pull throughput of a large backbone over loopback, as a ratio against curl(1) fetching the
# same blobs from the same server in the same run (issue 4's benchmark).
#
#   scripts/bench-pull.sh [--width W] [--rounds N]     # defaults: full width (1.0), 3 rounds
#
# A temporary store gets a seeded VGG-19 backbone of width W (1.0: about 127 MB of tensors) and
# is served by `facelet-registry serve` on 127.0.0.1. Each round then
#   1. has curl download every tensor blob of that version in one invocation (one connection,
#      like pull), to files in an empty folder;
#   2. has `facelet-registry pull` bring the version into an empty store (index, version
#      document, every blob streamed to disk and SHA-256-checked, fsynced, published).
# Throughput is tensor bytes / wall time; the ratio is ours / curl (higher is better; 1.0 is
# parity). Only ratios from one run mean anything on a shared machine. curl neither hashes nor
# fsyncs nor writes a catalogue, so the ratio charges all of that to pull.
set -euo pipefail
cd "$(dirname "$0")/.."

width=1.0
rounds=3
while [ $# -gt 0 ]; do
    case "$1" in
        --width) width="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        *) echo "bench-pull.sh: unknown argument $1 (--width, --rounds)" >&2; exit 2 ;;
    esac
done

scripts/setup.sh
if ! command -v curl >/dev/null; then
    echo "bench-pull.sh: installing curl(1), the peer" >&2
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq curl >/dev/null
fi
swift build -c release --product facelet-registry >&2
bin="$(swift build -c release --show-bin-path)/facelet-registry"

work=$(mktemp -d)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

echo "bench-pull: making a width-$width backbone" >&2
"$bin" --store "$work/server" init >/dev/null
"$bin" --store "$work/server" new-backbone --width "$width" --seed 3 --name big --version 1 \
    -o "$work/big.fbb" >/dev/null
"$bin" --store "$work/server" publish "$work/big.fbb" >/dev/null

"$bin" --store "$work/server" serve --listen 127.0.0.1:0 >"$work/serve.out" \
    2>"$work/serve.log" &
server_pid=$!
base=""
for _ in $(seq 1 100); do
    base=$(sed -n 's|^serving on \(http://[^ ]*\).*|\1|p' "$work/serve.out" | head -n 1)
    [ -n "$base" ] && break
    sleep 0.1
done
[ -n "$base" ] || { echo "bench-pull: the server did not start" >&2; cat "$work/serve.log" >&2
                    exit 1; }
base=${base%/}

# The blob URLs and total bytes, from the server's own version document.
curl -sf "$base/v1/index" -o "$work/index.json"
python3 - "$work/index.json" "$base" "$work" <<'PY'
import json, sys, urllib.request
index = json.load(open(sys.argv[1]))
version = next(p for p in index["packages"] if p["name"] == "big")["versions"][-1]
document = json.load(urllib.request.urlopen(sys.argv[2] + "/" + version["document"]))
with open(sys.argv[3] + "/curl.args", "w") as args:
    for i, tensor in enumerate(document["tensors"]):
        args.write('url = "%s/v1/blobs/%s"\n' % (sys.argv[2], tensor["digest"].replace(":", "/")))
        args.write('output = "%s/curl-out/%d"\n' % (sys.argv[3], i))
with open(sys.argv[3] + "/bytes", "w") as out:
    out.write(str(sum(t["byte_size"] for t in document["tensors"])))
PY
bytes=$(cat "$work/bytes")
echo "# $(date -u +%Y-%m-%dT%H:%M:%SZ) $(nproc) cpus, load: $(cut -d' ' -f1-3 /proc/loadavg)," \
     "$bytes tensor bytes"

now() { date +%s.%N; }
calc() { python3 -c "print($1)"; }
ratios=()
for round in $(seq 1 "$rounds"); do
    rm -rf "$work/curl-out" "$work/client"
    mkdir -p "$work/curl-out"
    start=$(now)
    curl -sf --config "$work/curl.args"
    curl_s=$(calc "$(now) - $start")

    "$bin" --store "$work/client" init >/dev/null
    start=$(now)
    "$bin" --store "$work/client" pull big:1 --from "$base" >/dev/null
    ours_s=$(calc "$(now) - $start")

    ratio=$(calc "$curl_s / $ours_s")
    ratios+=("$ratio")
    printf 'round %d: curl %.3f s (%.0f MB/s), pull %.3f s (%.0f MB/s), ours/curl %.2f\n' \
        "$round" "$curl_s" "$(calc "$bytes / $curl_s / 1e6")" \
        "$ours_s" "$(calc "$bytes / $ours_s / 1e6")" "$ratio"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
printf 'median ours/curl throughput ratio over %d rounds: %.2f\n' "$rounds" "$median"
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
