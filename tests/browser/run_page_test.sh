#!/usr/bin/env bash
# The browser test of hipp serve's page (page_test.mjs): starts a server with a token file on a
# free port, drives the page in headless Chromium, and requires the restored download to equal
# the original pixel for pixel, and a JPEG photo's restored download to be that JPEG, byte for byte. Exit 77 (skipped) without Chromium or puppeteer-core
# (scripts/setup.sh installs both). Usage: run_page_test.sh HIPP_BINARY [KEEP_DIR]
set -euo pipefail
HIPP=$1
here=$(cd "$(dirname "$0")" && pwd)
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ] || [ ! -d "$here/node_modules/puppeteer-core" ] || ! command -v node >/dev/null; then
  echo "run_page_test.sh: skipped: needs Chromium ($chromium), node and tests/browser/node_modules (scripts/setup.sh)"
  exit 77
fi
keep=${2:-}
dir=${keep:-$(mktemp -d)}
mkdir -p "$dir"
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; [ -z "$keep" ] && rm -rf "$dir"; return 0; }
trap cleanup EXIT
"$HIPP" -q keygen -o "$dir/k.key"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/token"
"$HIPP" serve -k "$dir/k.key" --token-file "$dir/token" --port 0 > "$dir/serve.log" 2>&1 &
server=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's|.*serving on http://127.0.0.1:\([0-9]*\).*|\1|p' "$dir/serve.log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { cat "$dir/serve.log"; echo "run_page_test.sh: the server did not start"; exit 1; }
photo=$(realpath "$here/../vectors/v3/forest44.png")  # Chromium refuses uploads from paths with ..
jpeg=$(realpath "$here/../fixtures/scenes/forest.jpg")
CHROMIUM=$chromium node "$here/page_test.mjs" "http://127.0.0.1:$port/" "$(cat "$dir/token")" "$photo" "$dir" "$jpeg"
cmp "$jpeg" "$dir/restored.jpg" || { echo "run_page_test.sh: the restored JPEG is not the photo, byte for byte"; exit 1; }
"$HIPP" compare "$photo" "$dir/restored.png" | tee "$dir/compare.txt"
grep -q "psnr inf dB" "$dir/compare.txt" || { echo "run_page_test.sh: the restored download differs from the original"; exit 1; }
"$HIPP" -q restore "$dir/protected.png" -k "$dir/k.key" -o "$dir/cli-restored.png"  # the page's download is a real protected file
"$HIPP" compare "$photo" "$dir/cli-restored.png" | grep -q "psnr inf dB"
echo "run_page_test.sh: passed"
