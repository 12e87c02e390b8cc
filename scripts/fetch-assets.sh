#!/usr/bin/env bash
# Fetches Swagger UI's static files from PyPI (swagger-ui-bundle-v2) into <data_dir>/assets/swagger-ui.
# They are third-party files: fetched at setup, never committed.
set -euo pipefail
data_dir="${1:-./data}"
dest="$data_dir/assets/swagger-ui"
[ -f "$dest/swagger-ui-bundle.js" ] && exit 0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 -m pip download -q --no-deps --only-binary=:all: -d "$tmp" "swagger-ui-bundle-v2==5.31.0"
python3 - "$tmp" "$dest" <<'PY'
import glob, os, sys, zipfile
tmp, dest = sys.argv[1], sys.argv[2]
wheel = glob.glob(os.path.join(tmp, "*.whl"))[0]
wanted = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "oauth2-redirect.html", "oauth2-redirect.js"}
staging = dest + ".partial"
os.makedirs(staging, exist_ok=True)
with zipfile.ZipFile(wheel) as z:
    for name in z.namelist():
        base = os.path.basename(name)
        if base in wanted and "/vendor/" in name:
            with open(os.path.join(staging, base), "wb") as out:
                out.write(z.read(name))
missing = wanted - set(os.listdir(staging))
if missing:
    sys.exit(f"swagger-ui-bundle-v2 lacks {sorted(missing)}")
os.makedirs(os.path.dirname(dest), exist_ok=True)
if os.path.exists(dest):
    import shutil; shutil.rmtree(dest)
os.rename(staging, dest)
PY
echo "Swagger UI assets in $dest"
