#!/usr/bin/env bash
# Fetches real, freely licensed photographs for the demo and the benchmarks from Debian's
# python3-skimage package (downloaded with apt-get, unpacked with dpkg-deb, never installed)
# and sorts them into a training set and a held-out set.
#
#   scripts/fetch-photos.sh [DIR]      # default DIR: .cache/photos
#
# DIR/train    photos the demo backbone's decoder and the demo effects are trained on
# DIR/heldout  photos that are never trained on (the astronaut portrait, the cat)
# DIR/bench    both, the held-out ones last by name (for bench-effect --held-out 2)
# Licences: see docs/photos.md (public domain and CC0, as scikit-image documents them).
set -euo pipefail
dir=${1:-.cache/photos}
if [ -f "$dir/.complete" ]; then
    echo "$dir"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download python3-skimage >/dev/null 2>&1) || {
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    (cd "$work" && apt-get download python3-skimage >/dev/null)
}
dpkg-deb -x "$work"/python3-skimage_*.deb "$work/x"
data="$work/x/usr/lib/python3/dist-packages/skimage/data"
mkdir -p "$dir/train" "$dir/heldout"
for f in coffee.png rocket.jpg hubble_deep_field.jpg brick.png grass.png gravel.png \
         retina.jpg ihc.png camera.png; do
    cp "$data/$f" "$dir/train/"
done
for f in astronaut.png chelsea.png; do
    cp "$data/$f" "$dir/heldout/"
done
# bench/: every photo, the held-out ones named to sort last, for `bench-effect --held-out 2`
# (it holds out the last photos by name).
mkdir -p "$dir/bench"
cp "$dir"/train/* "$dir/bench/"
for f in astronaut.png chelsea.png; do
    cp "$dir/heldout/$f" "$dir/bench/zz-heldout-$f"
done
touch "$dir/.complete"
echo "$dir"
