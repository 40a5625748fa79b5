#!/usr/bin/env bash
# The load benchmark, end to end, in one run. Not part of `cargo test`.
#
#   benches/run.sh                                         # a fresh SQLite database
#   benches/run.sh postgres://postgres@127.0.0.1:5432/pf_bench   # an existing, EMPTY PostgreSQL database
#                                                          # (createdb -h 127.0.0.1 -U postgres pf_bench)
#   PLEDGES=100000 benches/run.sh …                        # the register's size (default 10,000)
#
# Builds release, imports a generated register of PLEDGES pledges (timed), starts `serve`,
# opens one campaign for all of them (the command timed, then its invitations written as .eml
# files), signs officers in through their personal links, then measures with wrk, side by side:
#   ceilings: GET /healthz (HTTP) and a sea-orm single-row insert loop (storage);
#   routes:   the officer's form page, autosave (16 officers), submit, the review dashboard,
#             the CSV export; and the mail worker's rate to a local SMTP server.
# Prints req/s, p50/p95/p99 and each route's share of its ceiling beside the issue's goal,
# plus idle and peak RSS and the cold start (process start to /readyz answering 200).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
PLEDGES=${PLEDGES:-10000}
SUBMITTERS=${SUBMITTERS:-3000}

echo "building release…" >&2
cargo build --release -q
cargo bench -q --bench storage --no-run 2>/dev/null
cargo bench -q --bench delivery --no-run 2>/dev/null

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="${1:-sqlite://$work/bench.db}"
export PLEDGEFLOW__DATABASE__URL="$url" PLEDGEFLOW__DEMO__LOAD=false
export PLEDGEFLOW__SERVER__BIND="127.0.0.1:$port" PLEDGEFLOW__SERVER__BASE_URL="http://127.0.0.1:$port"
export PLEDGEFLOW__MAIL__FILE_DIR="$work/mail" PLEDGEFLOW__ATTACHMENTS__DIR="$work/files" PLEDGEFLOW__LOG__LEVEL=warn
export PLEDGEFLOW__DATABASE__MAX_CONNECTIONS=16 PLEDGEFLOW__REMINDERS__INTERVAL_SECONDS=86400
# The benchmark measures saving, not the per-session limit a person never reaches.
export PLEDGEFLOW__SERVER__OFFICER_SAVES_PER_MINUTE=1000000
base="http://127.0.0.1:$port"
bin=./target/release/pledgeflow
pid=""
sampler=""
trap '[ -n "$sampler" ] && kill $sampler 2>/dev/null; [ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$work"' EXIT

echo "generating and importing $PLEDGES pledges…" >&2
python3 - "$work/register.csv" "$PLEDGES" <<'PY'
import sys
zones = ["Africa/Kampala", "America/Bogota", "America/Toronto", "Asia/Manila", "Europe/Zurich", "Asia/Kathmandu", "Africa/Dakar", "America/Sao_Paulo"]
with open(sys.argv[1], "w") as f:
    f.write("reference,title,organization,organization_kind,country,country_code,region,timezone,locale,compact_scope,beneficiary_groups,priorities,gcm_objectives,gcr_objectives,pledge_year,timeline_start,timeline_end,contact_name,contact_email,contact_locale\n")
    for i in range(int(sys.argv[2])):
        org = i // 20
        f.write(f"CLA-{2020 + i // 1000}-{i % 1000:04d},Pledge {i} for inclusive city services,City {org},lrg,Uganda,UG,sub_saharan_africa,{zones[org % len(zones)]},en,MIRROR,migrants;refugees,1,23,1,2025,2023,2027,Officer {org},officer{org}@city{org}.example.org,en\n")
PY
$bin migrate >/dev/null
imported=$(date +%s%N)
$bin import register "$work/register.csv" | tail -1 >&2
import_s=$(python3 -c "print(round(($(date +%s%N) - $imported) / 1e9, 1))")

echo "storage ceiling…" >&2
storage=$(cargo bench -q --bench storage -- "$url" 2>/dev/null | grep 'storage ceiling')

started=$(date +%s%N)
$bin serve &
pid=$!
until curl -sf "$base/readyz" >/dev/null; do sleep 0.01; done
cold_ms=$(( ($(date +%s%N) - started) / 1000000 ))
sleep 2
idle_kib=$(ps -o rss= -p $pid | tr -d ' ')
( while kill -0 $pid 2>/dev/null; do ps -o rss= -p $pid >> "$work/rss.txt"; sleep 0.2; done ) &
sampler=$!

echo "opening a campaign for $PLEDGES pledges…" >&2
opened=$(date +%s%N)
$bin campaign open --name "Benchmark round" --deadline 2099-01-15 --all | tail -1 >&2
open_cli_s=$(python3 -c "print(round(($(date +%s%N) - $opened) / 1e9, 1))")
until [ "$(ls "$work/mail" 2>/dev/null | wc -l)" -ge "$PLEDGES" ]; do sleep 0.2; done
open_s=$(python3 -c "print(round(($(date +%s%N) - $opened) / 1e9, 1))")
after_open_kib=$(ps -o rss= -p $pid | tr -d ' ')

echo "signing officers in through their links…" >&2
PLEDGEFLOW_STAFF_PASSWORD="bench password 1234" $bin staff add bench@secretariat.example.org --name Bench --role admin >/dev/null
python3 - "$work" "$base" "$SUBMITTERS" <<'PY'
import email, glob, http.client, re, sys, urllib.parse
work, base, wanted = sys.argv[1], sys.argv[2], int(sys.argv[3])
host, port = base.split("//")[1].split(":")
conn = http.client.HTTPConnection(host, int(port))
def call(method, path, body=None, headers={}):
    conn.request(method, path, body=body, headers=headers)
    r = conn.getresponse()
    return r, r.read().decode("utf-8", "replace")
lines = []
for f in sorted(glob.glob(work + "/mail/*.eml")):
    if len(lines) >= wanted + 16:
        break
    m = email.message_from_binary_file(open(f, "rb"))
    text = next(p.get_payload(decode=True).decode() for p in m.walk() if p.get_content_type() == "text/plain")
    token = re.search(r"/u/([0-9a-f]{64})", text).group(1)
    r, _ = call("GET", "/u/" + token)
    cookie = re.search(r"pf_officer=[0-9a-f]+", r.getheader("set-cookie")).group(0)
    path = r.getheader("location")
    _, html = call("GET", path, headers={"Cookie": cookie})
    csrf = re.search(r'name="_csrf" value="([0-9a-f]+)"', html).group(1)
    lines.append(f"{cookie} {csrf} {path}")
open(work + "/officers.txt", "w").write("\n".join(lines[:16]) + "\n")
open(work + "/submitters.txt", "w").write("\n".join(lines[16:]) + "\n")
answers = [
    ("reporting_cycle", "2027_grf"), ("implementation_stage", "in_progress"), ("stage_narrative", "Running in three districts."),
    ("compact_scope", "MIRROR"), ("beneficiary_groups", "migrants"), ("beneficiary_groups", "refugees"),
    ("timeline_start", "2023"), ("timeline_end", "2027-06-30"),
    ("results_summary", "A welcome centre opened and serves newcomers."), ("achievement.1", "Welcome centre opened"),
    ("beneficiaries_total", "5,000"), ("beneficiaries_qualifier", "approx"),
    ("breakdown.1.group", "migrants"), ("breakdown.1.count", "3000"), ("breakdown.2.group", "refugees"), ("breakdown.2.count", "2000"),
    ("funding.1.amount", "600000"), ("funding.1.currency", "usd"), ("funding.1.source", "donor"),
    ("priorities", "1"), ("gcm_objectives", "23"), ("gcr_objectives", "1"), ("gcr_focus_areas", "responsibility_sharing"),
    ("challenges", "funding_gaps"), ("lessons_learned", "Work with refugee-led organizations from day one."),
    ("national_engagement", "ad_hoc"), ("consent_to_publish", "true"),
    ("refugee_participation", "Refugee-led organizations co-designed the services."),
    ("description", "The city runs a one-stop welcome centre. " * 10),
]
open(work + "/answers.txt", "w").write(urllib.parse.urlencode(answers))
# The secretariat's session for the dashboard and the export.
r, html = call("GET", "/login")
login_cookie = re.search(r"pf_login_csrf=[0-9a-f]+", r.getheader("set-cookie")).group(0)
csrf = re.search(r'name="_csrf" value="([0-9a-f]+)"', html).group(1)
body = urllib.parse.urlencode({"_csrf": csrf, "email": "bench@secretariat.example.org", "password": "bench password 1234"})
r, _ = call("POST", "/login", body, {"Cookie": login_cookie, "Content-Type": "application/x-www-form-urlencoded"})
staff = re.search(r"pf_staff=[0-9a-f]+", r.getheader("set-cookie")).group(0)
open(work + "/staff.txt", "w").write(staff)
PY
read -r cookie _ path < "$work/officers.txt"
staff=$(cat "$work/staff.txt")

results="$work/results.txt"
: > "$results"
measure() { # name ceiling goal wrk-args…
  local name=$1 ceiling=$2 goal=$3; shift 3
  echo "wrk: $name…" >&2
  local out
  out=$(wrk --latency "$@")
  local rps p50 p95 p99 errors
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p95=$(echo "$out" | awk '$1 == "p95" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  errors=$(echo "$out" | awk '/Non-2xx/ {print $5}')
  local rss
  rss=$(( $(ps -o rss= -p $pid) / 1024 ))
  echo "$name|$ceiling|$rps|$p50|$p95|$p99|${errors:-0}|$rss|$goal" >> "$results"
}

measure "GET /healthz (HTTP ceiling)" http "-" -t2 -c16 -d10s -s benches/latency.lua "$base/healthz"
measure "officer form page" http "≥ 20 %" -t2 -c16 -d10s -s benches/latency.lua -H "Cookie: $cookie" "$base$path"
SESSIONS="$work/officers.txt" measure "autosave (16 officers)" storage "≥ 50 %, p99 ≤ 25 ms" -t16 -c16 -d10s -s benches/autosave.lua "$base"
SESSIONS="$work/submitters.txt" BODY="$work/answers.txt" THREADS=4 \
  measure "submit (a new officer each time)" storage "≥ 20 %" -t4 -c4 -d5s -s benches/submit.lua "$base"
campaign=$(curl -s -H "Cookie: $staff" "$base/review/campaigns" | grep -o '/review/campaigns/[0-9]*' | head -1)
measure "review dashboard ($PLEDGES requests)" http "p95 ≤ 150 ms" -t2 -c4 -d10s -s benches/latency.lua -H "Cookie: $staff" "$base$campaign"

# The export streams approved updates: approve what was submitted, directly in the database.
case "$url" in
  sqlite*) python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"update update_request set state='approved' where state='submitted'\"); c.commit()" "${url#sqlite://}" ;;
  postgres*) psql -q "$url" -c "update update_request set state='approved' where state='submitted'" ;;
esac
approved=$(curl -s -H "Cookie: $staff" "$base/review/exports/updates.csv" | tail -n +2 | grep -c '^CLA-' || true)
measure "CSV export ($approved updates)" http "-" -t2 -c2 -d10s -s benches/latency.lua -H "Cookie: $staff" "$base/review/exports/updates.csv"

kill $sampler 2>/dev/null || true
sampler=""
echo "mail worker to a local SMTP server…" >&2
mail_rate=$(cargo bench -q --bench delivery 2>/dev/null | grep 'mails/s' || echo "mail: aiosmtpd missing (python3 -m pip install aiosmtpd)")
peak_kib=$(sort -n "$work/rss.txt" | tail -1)

http_ceiling=$(awk -F'|' 'NR == 1 {print $3}' "$results")
storage_ceiling=$(echo "$storage" | grep -o '[0-9.]* inserts/s' | awk '{print $1}')
echo
echo "pledgeflow load benchmark — ${url%%:*}, $PLEDGES pledges, $(nproc) cores, $(date -u +%F)"
echo "$storage"
printf '%-38s %10s %9s %9s %9s %7s %16s %8s  %s\n' "route" "req/s" "p50" "p95" "p99" "errors" "of its ceiling" "RSS MB" "goal"
while IFS='|' read -r name ceiling rps p50 p95 p99 errors rss goal; do
  if [ "$ceiling" = http ]; then c=$http_ceiling; else c=$storage_ceiling; fi
  share=$(python3 -c "print(f'{100 * $rps / $c:.1f}% {\"$ceiling\"}')")
  printf '%-38s %10s %9s %9s %9s %7s %16s %8s  %s\n' "$name" "$rps" "$p50" "$p95" "$p99" "$errors" "$share" "$rss" "$goal"
done < "$results"
echo "cold start (spawn → /readyz 200): ${cold_ms} ms (goal ≤ 1,000 ms) · RSS idle $((idle_kib / 1024)) MB (goal ≤ 20 MB), peak $((peak_kib / 1024)) MB (goal for the dashboard ≤ 100 MB)"
echo "register of $PLEDGES pledges imported in ${import_s} s (goal at 100,000: < 60 s)"
echo "campaign open for $PLEDGES pledges: the command took ${open_cli_s} s (goal at 100,000: < 30 s); all invitations written ${open_s} s after it began (RSS after: $((after_open_kib / 1024)) MB)"
echo "$mail_rate"
