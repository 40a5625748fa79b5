#!/usr/bin/env bash
# Load benchmark of the officer's form page and of autosave. Not part of `cargo test`.
#   benches/officer.sh                      # fresh SQLite database
#   benches/officer.sh postgres://postgres@127.0.0.1:5432/bench   # an existing, empty PostgreSQL database
# Builds release, serves on a free port with the demo register, opens a campaign for four
# pledges, signs four officers in through their personal links, then runs wrk:
#   1. GET the form page (16 connections, one officer);
#   2. autosave: four officers each saving their own draft continuously (one connection each),
#      every request a real new version (the script follows the returned version).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export PLEDGEFLOW__DATABASE__URL="${1:-sqlite://$work/bench.db}"
export PLEDGEFLOW__SERVER__BIND="127.0.0.1:$port" PLEDGEFLOW__SERVER__BASE_URL="http://127.0.0.1:$port"
export PLEDGEFLOW__MAIL__FILE_DIR="$work/mail" PLEDGEFLOW__ATTACHMENTS__DIR="$work/files" PLEDGEFLOW__LOG__LEVEL=warn
base="http://127.0.0.1:$port"

./target/release/pledgeflow serve &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf "$base/readyz" >/dev/null && break; sleep 0.1; done

refs=(CLA-2022-0001 CLA-2022-0003 CLA-2022-0005 CLA-2022-0009)
./target/release/pledgeflow campaign open --name "bench $(date +%s%N)" --deadline 2099-01-01 \
  $(printf -- '--pledge %s ' "${refs[@]}") >/dev/null
for _ in $(seq 1 100); do [ "$(ls "$work/mail" 2>/dev/null | wc -l)" -ge 4 ] && break; sleep 0.1; done

: > "$work/sessions.txt"
for ref in "${refs[@]}"; do
  token=$(python3 - "$work/mail" "$ref" <<'PY'
import email, glob, re, sys
for f in glob.glob(sys.argv[1] + "/*.eml"):
    m = email.message_from_binary_file(open(f, "rb"))
    for part in m.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True).decode()
            if sys.argv[2] in text:
                print(re.search(r"/u/([0-9a-f]{64})", text).group(1))
PY
)
  headers=$(curl -s -D - -o /dev/null "$base/u/$token")
  cookie=$(echo "$headers" | grep -io 'pf_officer=[0-9a-f]*' | head -1)
  path=$(echo "$headers" | grep -i '^location:' | awk '{print $2}' | tr -d '\r')
  csrf=$(curl -s -H "Cookie: $cookie" "$base$path" | grep -o 'name="_csrf" value="[0-9a-f]*"' | head -1 | grep -o '[0-9a-f]\{64\}')
  echo "$cookie $csrf $path" >> "$work/sessions.txt"
done
read -r cookie _ path < "$work/sessions.txt"

echo "== form page: GET $path (wrk -t2 -c16 -d10s)"
wrk -t2 -c16 -d10s --latency -H "Cookie: $cookie" "$base$path"
echo
echo "== autosave: 4 officers saving their own drafts (wrk -t4 -c4 -d10s)"
SESSIONS="$work/sessions.txt" wrk -t4 -c4 -d10s --latency -s benches/autosave.lua "$base"
echo
echo "RSS of the server after the runs: $(ps -o rss= -p $pid) KiB"
