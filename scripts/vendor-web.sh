#!/usr/bin/env bash
# Brings the cyclist page's JavaScript libraries from npm into api/static/vendor/ (served by the API itself: no
# CDN at run time). Versions are pinned and each tarball is checked against its npm integrity hash; the licence
# of each library is copied next to its files. Run it again after changing a version below, then commit.
set -euo pipefail

# name version integrity (npm view NAME@VERSION dist.integrity) files to copy from the tarball's package/
PACKAGES=(
  "leaflet 1.9.4 sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA== dist/leaflet.js dist/leaflet.css LICENSE"
  "leaflet.markercluster 1.5.3 sha512-vPTw/Bndq7eQHjLBVlWpnGeLa3t+3zGiuM7fJwCkiMFq+nmRuG3RI3f7f4N4TDX7T4NpbAXpR2+NTRSEGfCSeA== dist/leaflet.markercluster.js dist/MarkerCluster.css MIT-LICENCE.txt"
)

here="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$here/api/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

rm -rf "$vendor"
mkdir -p "$vendor"
{
  echo "# Vendored by scripts/vendor-web.sh from the npm registry; do not edit by hand."
  echo "# name version integrity"
} > "$vendor/VERSIONS"
for line in "${PACKAGES[@]}"; do
  read -r name version integrity files <<<"$line"
  (cd "$work" && npm pack --silent "$name@$version" >/dev/null)
  tarball="$work/$name-$version.tgz"
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [[ "$actual" != "$integrity" ]]; then
    echo "$name@$version: integrity $actual differs from the pinned $integrity" >&2
    exit 1
  fi
  mkdir -p "$work/$name" "$vendor/$name"
  tar xzf "$tarball" -C "$work/$name"
  for file in $files; do
    # Source-map comments point at files not shipped; drop them so browsers ask for nothing that 404s.
    sed '/^\/\/# sourceMappingURL=/d' "$work/$name/package/$file" > "$vendor/$name/$(basename "$file")"
  done
  echo "$name $version $integrity" >> "$vendor/VERSIONS"
done
echo "vendored into $vendor:"
ls -R "$vendor"
