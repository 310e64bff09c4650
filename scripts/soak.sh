#!/usr/bin/env bash
# Server memory over a long run: starts `tamga serve` (release build, fresh
# SQLite data directory), samples its RSS every second while `tamga
# simulate` sends RATE declarations/s for DURATION seconds, then prints the
# simulator's summary with the server's peak and final RSS.
#
#   cargo build --release && scripts/soak.sh 2500 400   # 1,000,000 declarations
set -euo pipefail
rate=${1:-2500}
duration=${2:-400}
port=${PORT:-8090}
bin=${TAMGA_BIN:-./target/release/tamga}
dir=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$dir"' EXIT

TAMGA_LOG=warn "$bin" serve --allow-loopback-webhooks --listen "127.0.0.1:$port" --data-dir "$dir/data" 2>"$dir/serve.log" &
server=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.2
done
(
  while kill -0 "$server" 2>/dev/null; do
    awk '/VmRSS/ {print $2}' "/proc/$server/status" 2>/dev/null >>"$dir/rss" || true
    sleep 1
  done
) &
"$bin" simulate --target "http://127.0.0.1:$port" --rate "$rate" --duration "$duration" --json >"$dir/sim.json"
final=$(awk '/VmRSS/ {print $2}' "/proc/$server/status")
peak=$(sort -n "$dir/rss" | tail -n1)
python3 - "$dir/sim.json" "$peak" "$final" <<'PY'
import json, sys
sim = json.load(open(sys.argv[1]))
print(json.dumps({"server_peak_rss_mb": round(int(sys.argv[2]) / 1024, 1),
                  "server_final_rss_mb": round(int(sys.argv[3]) / 1024, 1),
                  "simulate": sim}, indent=2))
PY
