#!/usr/bin/env bash
# Fetches Tandem's real-music sets from freely licensed Debian packages (game soundtracks,
# mastered as released) and writes their manifests. Nothing large is committed: the packages
# are downloaded with `apt-get download` (no root needed) and only the listed files are kept.
#
#   tools/eval/fetch-music.sh [DIR]            # both sets (about 700 MB of packages, once)
#   tools/eval/fetch-music.sh --smoke [DIR]    # the two-track CI subset (one 36 MB package)
#
# DIR defaults to ./eval-music. It receives
#   eval/    the evaluation set (12 tracks) and eval/manifest.tsv
#   profile/ the profile set (tracks kept apart from the evaluation set, used only to build the
#            measured tonal targets: tools/eval/build-targets) and profile/manifest.tsv
# Manifest columns: id, package, file (relative to the set folder), description.
# Re-running is cheap: packages and files already present are kept.
set -euo pipefail

SMOKE=0
if [ "${1:-}" = "--smoke" ]; then SMOKE=1; shift; fi
DIR="${1:-eval-music}"
HERE="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$DIR/debs" "$DIR/eval" "$DIR/profile"
DIR="$(cd "$DIR" && pwd)"

# set, id, package, path inside the package, description
TRACKS="$HERE/tracks.tsv"

need_pkgs() {
    awk -F'\t' -v smoke="$SMOKE" '$0 !~ /^#/ && NF >= 5 && (smoke == 0 || $6 == "smoke") {print $3}' "$TRACKS" | sort -u
}

cd "$DIR/debs"
for p in $(need_pkgs); do
    if ! ls "${p}"_*.deb >/dev/null 2>&1; then
        apt-get download "$p" >/dev/null 2>&1 || {
            echo "fetch-music: could not download the Debian package '$p' (is apt reachable? try 'apt-get update')" >&2
            exit 1
        }
    fi
done

for set in eval profile; do
    : > "$DIR/$set/manifest.tsv.part"
done
awk -F'\t' -v smoke="$SMOKE" '$0 !~ /^#/ && NF >= 5 && (smoke == 0 || $6 == "smoke")' "$TRACKS" |
while IFS=$'\t' read -r set id pkg path desc _; do
    ext="${path##*.}"
    out="$DIR/$set/$id.$ext"
    if [ ! -s "$out" ]; then
        deb=$(ls "$DIR/debs/${pkg}"_*.deb | head -1)
        tmp="$out.part"
        dpkg-deb --fsys-tarfile "$deb" | tar -xO "./$path" > "$tmp" || {
            echo "fetch-music: '$path' is not in $deb" >&2
            rm -f "$tmp"
            exit 1
        }
        mv "$tmp" "$out"
    fi
    printf '%s\t%s\t%s\t%s\n' "$id" "$pkg" "$id.$ext" "$desc" >> "$DIR/$set/manifest.tsv.part"
done
for set in eval profile; do
    mv "$DIR/$set/manifest.tsv.part" "$DIR/$set/manifest.tsv"
done
echo "fetch-music: $(wc -l < "$DIR/eval/manifest.tsv") evaluation and $(wc -l < "$DIR/profile/manifest.tsv") profile tracks in $DIR"
