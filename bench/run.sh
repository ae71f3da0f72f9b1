#!/usr/bin/env bash
# `make bench`: Contact Vault against its own floor and against PostgreSQL 15 +
# pgcrypto, side by side in one run, written to bench/RESULTS.md.
#
#   make bench                      1,000,000 customers, 5 s runs, 10 min soak
#   BENCH_QUICK=1 make bench        100,000 customers, 2 s runs, 30 s soak
#
# Settings (environment):
#   BENCH_CUSTOMERS_N   customers to load (default 1000000; quick 100000)
#   BENCH_DURATION      seconds per wrk/pgbench run (default 5; quick 2)
#   BENCH_SOAK_SECONDS  mixed-load soak for the memory drift (default 600; quick 30)
#   BENCH_RUNS          runs per figure, the median is reported (default 3)
#   BENCH_ROTATION_RUNS full-table rotations under load (default BENCH_RUNS); each
#                       rewraps every DEK, so this is the slowest phase
#   BENCH_WHATIF        1: also measure another server.threads (default 0: 64 ships)
#   BENCH_PORT          the vault's port (default 58443); BENCH_PG_PORT (55432)
#   BENCH_WORK_DIR      scratch space (default /tmp/contact-vault-bench), wiped
#
# Every process this script starts listens on 127.0.0.1 only and is stopped by
# its pid on exit. Runs as root on a fresh Debian machine (PostgreSQL runs as
# the `postgres` user through su) or as a user with sudo for the packages.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
  N=${BENCH_CUSTOMERS_N:-100000}; DUR=${BENCH_DURATION:-2}; SOAK=${BENCH_SOAK_SECONDS:-30}
  FLOOR_MIN_TIME=0.2
else
  N=${BENCH_CUSTOMERS_N:-1000000}; DUR=${BENCH_DURATION:-5}; SOAK=${BENCH_SOAK_SECONDS:-600}
  FLOOR_MIN_TIME=0.5
fi
RUNS=${BENCH_RUNS:-3}
ROT_RUNS=${BENCH_ROTATION_RUNS:-$RUNS}
WHATIF=${BENCH_WHATIF:-0}
PORT=${BENCH_PORT:-58443}
METRICS_PORT=${BENCH_METRICS_PORT:-$((PORT + 1))}
PGPORT=${BENCH_PG_PORT:-55432}
WORK=${BENCH_WORK_DIR:-/tmp/contact-vault-bench}
BUILD=$ROOT/build-bench
CONNS="1 8 32 64"
WORKLOADS="search verify reveal create find_or_create"
URL=https://127.0.0.1:$PORT
PGBIN=/usr/lib/postgresql/15/bin
TICKS=$(getconf CLK_TCK)

T0=$(date +%s)
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
RUN_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
RUN_COMMIT=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
RUN_DIRTY=$(git status --porcelain --untracked-files=no 2>/dev/null | wc -l)
RUN_SEQ=0
say() {
  printf '[bench %4ds] %s\n' $(( $(date +%s) - T0 )) "$*" >&2
  if [ -n "${RES:-}" ] && [ -d "$RES" ]; then
    printf '%d %s\n' $(( $(date +%s) - T0 )) "$*" >>"$RES/timeline.txt"
  fi
}
die() { say "FAILED: $*"; exit 1; }

# --- 0. packages and build -------------------------------------------------
say "packages (wrk, PostgreSQL 15 + pgcrypto, Google Benchmark)"
scripts/install-deps.sh wrk postgresql-15 postgresql-contrib libbenchmark-dev python3 curl \
  procps >&2

say "release build in build-bench (-DVAULT_BENCH=ON)"
build_ok=0
for attempt in 1 2 3 4 5; do
  if cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DVAULT_BENCH=ON >"$BUILD.log" 2>&1 &&
     cmake --build "$BUILD" -j "$(nproc)" --target contact-vault-server contact-vault \
       bench_floor bench_loader >>"$BUILD.log" 2>&1; then
    build_ok=1; break
  fi
  # Others edit the server concurrently: a broken tree is usually mended soon.
  say "build failed (attempt $attempt, see $BUILD.log); retrying in 60 s"
  sleep 60
done
[ $build_ok = 1 ] || die "build failed; see $BUILD.log"

# --- scratch space, config, policy -------------------------------------------
SERVER_PID=""; WRK_PID=""; PG_STARTED=0
cleanup() {
  set +e
  [ -n "$WRK_PID" ] && kill "$WRK_PID" 2>/dev/null
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  if [ "$PG_STARTED" = 1 ]; then
    su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $WORK/pg/data -m fast -w stop" >/dev/null 2>&1
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf "$WORK"
mkdir -p "$WORK/out" "$WORK/res"
chmod 755 "$WORK"
DATA=$WORK/data
RES=$WORK/res
echo "0 start; build finished at $(( $(date +%s) - T0 )) s" >"$RES/timeline.txt"
printf 'date=%s\ncommit=%s\ndirty=%s\n' "$RUN_DATE" "$RUN_COMMIT" "$RUN_DIRTY" >"$RES/run-info.txt"

# The bench's own policy: the shipped roles with every positive reveal quota
# and lookup limit raised to the policy's maximum (1,000,000), so the limits
# never refuse a benchmark request. Zeros (roles denied the action) stay zero.
sed -E 's/^(reveal_quota_per_hour|lookups_per_minute) = [1-9][0-9]*/\1 = 1000000/' \
  config/policy.toml >"$WORK/policy.toml"
# The shipped server config, with only the address, port, data directory and
# policy changed (dev_mode off). Threads, readers, limits, logging: as shipped.
make_config() {  # $1 output, $2 threads ("" = as shipped)
  sed -E -e 's|^listen = "[^":]*"|listen = "127.0.0.1"|' \
         -e "s|^listen = \"127.0.0.1:9464\"|listen = \"127.0.0.1:$METRICS_PORT\"|" \
         -e "s|^port = [0-9]+|port = $PORT|" \
         -e 's|^dev_mode = true|dev_mode = false|' \
         -e "s|^data_dir = \"[^\"]*\"|data_dir = \"$DATA\"|" \
         -e "s|^file = \"[^\"]*\"|file = \"$WORK/policy.toml\"|" \
         config/vault.toml >"$1"
  if [ -n "$2" ]; then sed -i -E "s|^threads = [0-9]+|threads = $2|" "$1"; fi
}
make_config "$WORK/vault.toml" ""
SHIPPED_THREADS=$(sed -n -E 's/^threads = ([0-9]+).*/\1/p' "$WORK/vault.toml")

export BENCH_CUSTOMERS=$WORK/out/customers.tsv
export BENCH_TOKENS=$WORK/out/tokens.env
export BENCH_SUPPORT=$WORK/out/support_tokens.txt
LUA=$ROOT/bench/lua/vault.lua

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }

start_server() {  # $1 config
  "$BUILD/contact-vault-server" --config "$1" >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 300); do
    curl -sfk "$URL/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited; see $WORK/server.log"
    sleep 0.2
  done
  die "the server did not answer /healthz"
}
stop_server() {
  kill "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""
}

# One wrk run: $1 workload, $2 connections, $3 duration s, $4 result file.
# Appends the script's BENCH_RESULT line plus the server's CPU time per request.
wrk_run() {
  local threads=$(( $2 < 2 ? 1 : 2 ))
  local c0 c1 line
  RUN_SEQ=$((RUN_SEQ + 1))
  c0=$(cpu_ticks)
  line=$(BENCH_WORKLOAD=$1 BENCH_RUN="r$RUN_SEQ-$$" \
         wrk -t "$threads" -c "$2" -d "${3}s" --timeout 10s --latency -s "$LUA" "$URL" 2>&1 |
         grep '^BENCH_RESULT') || die "wrk $1 c=$2 printed no result"
  c1=$(cpu_ticks)
  echo "$line cpu_s=$(awk -v d=$((c1 - c0)) -v t="$TICKS" 'BEGIN{printf "%.3f", d/t}')" >>"$4"
}

# --- 1. empty vault: RSS at 0 customers ---------------------------------------
say "empty vault: init, bench principals, RSS at 0 customers"
"$BUILD/bench_loader" --data-dir "$DATA" --policy "$WORK/policy.toml" --out "$WORK/out" --count 0
"$BUILD/contact-vault" dev-cert --data-dir "$DATA" >/dev/null
start_server "$WORK/vault.toml"
sleep 2
echo "rss_empty_kib=$(rss_kib)" >>"$RES/memory.txt"
stop_server

# --- 2. load ------------------------------------------------------------------
say "loading $N customers in process (CustomerService::Create, audited, 256 threads)"
"$BUILD/bench_loader" --data-dir "$DATA" --policy "$WORK/policy.toml" --out "$WORK/out" \
  --count "$N" --threads 256 --sample 50000 | tee "$RES/load.txt" >&2
echo "load_seconds=$(cat "$WORK/out/load_seconds.txt")" >>"$RES/load.txt"
echo "db_bytes=$(stat -c %s "$DATA/vault.db")" >>"$RES/load.txt"

# --- 3. the in-process floor ----------------------------------------------------
say "in-process floor (Google Benchmark, $RUNS repetitions)"
BENCH_DATA_DIR=$DATA BENCH_COUNT=$N BENCH_POLICY=$WORK/policy.toml \
  "$BUILD/bench_floor" --benchmark_filter=-GroupCommit \
  --benchmark_repetitions="$RUNS" --benchmark_min_time="$FLOOR_MIN_TIME" \
  --benchmark_out="$RES/floor.json" --benchmark_out_format=json \
  --benchmark_report_aggregates_only=true >"$RES/floor.txt" 2>&1 ||
  die "bench_floor failed: $(tail -3 "$RES/floor.txt")"

# Group commit on/off (issue 4): durable creates and reveals at 1 and 32
# threads with the store as the server runs it, and with
# StoreOptions::group_commit = false (BENCH_GROUP_COMMIT=0: one commit and one
# fsync per write). One store per file, so each mode is a process of its own;
# on and off alternate per operation, so each pair sees the same moment of the
# shared machine's disk, and the report takes each figure's median over the runs.
say "group commit on/off: durable create and reveal, 1 and 32 threads, $RUNS runs each"
for r in $(seq 1 "$RUNS"); do
  for op in Create Reveal; do
    for mode in on off; do
      gc=1; [ "$mode" = off ] && gc=0
      BENCH_GROUP_COMMIT=$gc BENCH_DATA_DIR=$DATA BENCH_COUNT=$N BENCH_POLICY=$WORK/policy.toml \
        "$BUILD/bench_floor" --benchmark_filter="^GroupCommit/$op/" \
        --benchmark_min_time="$FLOOR_MIN_TIME" \
        --benchmark_out="$RES/gc-$mode-$op-r$r.json" --benchmark_out_format=json \
        >>"$RES/group-commit.txt" 2>&1 ||
        die "bench_floor ($op, group commit $mode) failed: $(tail -3 "$RES/group-commit.txt")"
    done
  done
done

# --- 4. the server: ceiling and workloads -------------------------------------
say "server on $N customers: RSS, /healthz ceiling, workloads x {$CONNS} connections x $RUNS runs"
start_server "$WORK/vault.toml"
sleep 2
echo "rss_loaded_idle_kib=$(rss_kib)" >>"$RES/memory.txt"
for r in $(seq 1 "$RUNS"); do
  wrk_run healthz 32 "$DUR" "$RES/wrk-healthz-c32.txt"
  for w in $WORKLOADS; do
    for c in $CONNS; do
      wrk_run "$w" "$c" "$DUR" "$RES/wrk-$w-c$c.txt"
    done
  done
  say "  run $r of $RUNS done"
done
echo "rss_loaded_after_workloads_kib=$(rss_kib)" >>"$RES/memory.txt"

# --- 5. rotation under search load ---------------------------------------------
. "$WORK/out/tokens.env"
api() {  # $1 method, $2 path, [$3 body]
  curl -sfk -X "$1" -H "Authorization: Bearer $ADMIN_TOKEN" -H 'Content-Type: application/json' \
    ${3:+-d "$3"} "$URL$2"
}
json_field() { python3 -c "import json,sys; v=json.load(sys.stdin).get('$1'); print('' if v is None else v)"; }
for r in $(seq 1 "$ROT_RUNS"); do
  say "rotation $r of $ROT_RUNS: search p99 before, then rewrap every DEK under search load (32 connections)"
  wrk_run search 32 "$DUR" "$RES/rotation-before.txt"
  BENCH_WORKLOAD=search BENCH_RUN=rot$r wrk -t 2 -c 32 -d 3600s --timeout 10s --latency \
    -s "$LUA" "$URL" >"$WORK/rotation-wrk-$r.txt" 2>&1 &
  WRK_PID=$!
  c0=$(cpu_ticks)
  sleep 1
  wall0=$(date +%s.%N)
  api POST /v1/admin/keys/rotate '{"purpose":"data"}' >/dev/null || die "rotate refused"
  state=running
  for _ in $(seq 1 36000); do
    sleep 0.25
    progress=$(api GET /v1/admin/keys/rotation) || continue
    state=$(echo "$progress" | json_field state)
    [ "$state" = running ] || break
  done
  wall1=$(date +%s.%N)
  kill -INT "$WRK_PID"; wait "$WRK_PID" || true; WRK_PID=""
  c1=$(cpu_ticks)
  [ "$state" = done ] || die "rotation did not finish: $progress"
  done_n=$(echo "$progress" | json_field done)
  started=$(echo "$progress" | json_field started_at)
  finished=$(echo "$progress" | json_field finished_at)
  line=$(grep '^BENCH_RESULT' "$WORK/rotation-wrk-$r.txt") || die "no wrk result during rotation"
  echo "$line cpu_s=$(awk -v d=$((c1 - c0)) -v t="$TICKS" 'BEGIN{printf "%.3f", d/t}')" \
    >>"$RES/rotation-during.txt"
  echo "records=$done_n server_seconds=$(awk -v a="$started" -v b="$finished" \
    'BEGIN{printf "%.3f", (b-a)/1000}') wall_seconds=$(awk -v a="$wall0" -v b="$wall1" \
    'BEGIN{printf "%.3f", b-a}')" >>"$RES/rotation.txt"
done

# --- 6. soak: memory drift under mixed load --------------------------------------
say "soak: mixed load, 32 connections, $SOAK s; RSS every 10 s"
echo "rss_soak_start_kib=$(rss_kib)" >>"$RES/memory.txt"
c0=$(cpu_ticks)
BENCH_WORKLOAD=mixed BENCH_RUN=soak wrk -t 2 -c 32 -d "${SOAK}s" --timeout 10s --latency \
  -s "$LUA" "$URL" >"$WORK/soak-wrk.txt" 2>&1 &
WRK_PID=$!
elapsed=0
while kill -0 "$WRK_PID" 2>/dev/null; do
  echo "$elapsed $(rss_kib)" >>"$RES/soak-rss.txt"
  sleep 10; elapsed=$((elapsed + 10))
done
wait "$WRK_PID" || true; WRK_PID=""
c1=$(cpu_ticks)
grep '^BENCH_RESULT' "$WORK/soak-wrk.txt" | sed "s/\$/ cpu_s=$(awk -v d=$((c1 - c0)) \
  -v t="$TICKS" 'BEGIN{printf "%.3f", d/t}')/" >"$RES/soak.txt" || true
echo "rss_soak_end_kib=$(rss_kib)" >>"$RES/memory.txt"
echo "customers_at_end=$(sqlite3 "file:$DATA/vault.db?mode=ro" 'SELECT COUNT(*) FROM customers' 2>/dev/null || echo '?')" \
  >>"$RES/memory.txt"
curl -s "http://127.0.0.1:$METRICS_PORT/metrics" >"$RES/metrics.txt" || true
stop_server

# --- 7. what-if: the same server with more worker threads ------------------------
if [ "$WHATIF" = 1 ]; then
  say "what-if: server.threads = 64 (config only), search/create/healthz at 32 and 64 connections"
  make_config "$WORK/vault-threads64.toml" 64
  start_server "$WORK/vault-threads64.toml"
  sleep 1
  for r in $(seq 1 "$RUNS"); do
    for c in 32 64; do
      wrk_run healthz "$c" "$DUR" "$RES/whatif-healthz-c$c.txt"
      wrk_run search "$c" "$DUR" "$RES/whatif-search-c$c.txt"
      wrk_run create "$c" "$DUR" "$RES/whatif-create-c$c.txt"
    done
  done
  stop_server
fi

# --- 8. the peer: PostgreSQL 15 + pgcrypto ---------------------------------------
say "PostgreSQL 15 + pgcrypto on 127.0.0.1:$PGPORT, data in $WORK/pg"
id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
mkdir -p "$WORK/pg/data" "$WORK/pg/sock"
chown -R postgres "$WORK/pg"
chmod 700 "$WORK/pg/data"
as_pg() { su postgres -s /bin/sh -c "$1"; }
as_pg "$PGBIN/initdb -D $WORK/pg/data --auth=trust -U postgres -E UTF8 --locale=C.UTF-8" \
  >"$WORK/pg/initdb.log" 2>&1 || die "initdb failed; see $WORK/pg/initdb.log"
# The peer's configuration (also written into RESULTS.md): durable like us
# (fsync, synchronous_commit, full_page_writes on), buffers sized to hold the
# table and its indexes, checkpoints spaced out, JIT off for short queries.
PG_SETTINGS="listen_addresses=127.0.0.1 port=$PGPORT unix_socket_directories=$WORK/pg/sock \
shared_buffers=1GB effective_cache_size=4GB max_connections=100 fsync=on synchronous_commit=on \
full_page_writes=on wal_compression=on max_wal_size=8GB checkpoint_timeout=30min jit=off"
opts=""
for s in $PG_SETTINGS; do opts="$opts -c $s"; done
as_pg "$PGBIN/pg_ctl -D $WORK/pg/data -l $WORK/pg/postgres.log -w -o '$opts' start" >/dev/null ||
  die "PostgreSQL did not start; see $WORK/pg/postgres.log"
PG_STARTED=1
echo "$PG_SETTINGS" >"$RES/pg-settings.txt"
PSQL="psql -h 127.0.0.1 -p $PGPORT -U postgres -v ON_ERROR_STOP=1 -q -X"
PGKEY=$(openssl rand -hex 32); PGHKEY=$(openssl rand -hex 32)
PGOPTS='cipher-algo=aes256, s2k-mode=1'
$PSQL -f bench/pg/schema.sql 2>/dev/null
pg_t0=$(date +%s.%N)
half=$((N / 2))
$PSQL -v lo=0 -v hi=$((half - 1)) -v key="$PGKEY" -v hkey="$PGHKEY" -v opts="$PGOPTS" \
  -f bench/pg/load.sql &
pg_load_pid=$!
$PSQL -v lo=$half -v hi=$((N - 1)) -v key="$PGKEY" -v hkey="$PGHKEY" -v opts="$PGOPTS" \
  -f bench/pg/load.sql
wait $pg_load_pid
$PSQL -f bench/pg/index.sql
pg_t1=$(date +%s.%N)
echo "pg_load_seconds=$(awk -v a="$pg_t0" -v b="$pg_t1" 'BEGIN{printf "%.1f", b-a}')" >>"$RES/load.txt"
echo "pg_bytes=$($PSQL -At -c "SELECT pg_total_relation_size('customers')")" >>"$RES/load.txt"
echo "pg_version=$($PSQL -At -c 'SHOW server_version')" >>"$RES/load.txt"

# One pgbench run: $1 script, $2 connections, $3 result file. Latencies from
# the per-transaction log, computed like wrk's.
pg_run() {
  local threads=$(( $2 < 2 ? 1 : 2 )) prefix="$WORK/pg/log-$RANDOM" out
  out=$(pgbench -h 127.0.0.1 -p "$PGPORT" -U postgres -n -M prepared -c "$2" -j "$threads" \
        -T "$DUR" -D n="$N" -D key="$PGKEY" -D hkey="$PGHKEY" -D opts="$PGOPTS" \
        -f "bench/pg/$1.sql" -l --log-prefix="$prefix" postgres 2>&1) ||
    die "pgbench $1 c=$2 failed: $out"
  python3 - "$prefix" "$out" >>"$3" <<'EOF'
import glob, re, sys
prefix, out = sys.argv[1], sys.argv[2]
lat = []
for path in glob.glob(prefix + ".*"):
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3:
                lat.append(int(parts[2]))
lat.sort()
def pct(p):
    return lat[min(len(lat) - 1, int(len(lat) * p / 100.0))] / 1000.0 if lat else 0.0
tps = float(re.search(r"tps = ([0-9.]+) \(without", out).group(1))
failed = re.search(r"number of failed transactions: (\d+)", out)
print("BENCH_RESULT requests=%d rps=%.1f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f "
      "stalls=%d errors=%s" % (len(lat), tps, pct(50), pct(99), pct(99.9),
      (lat[-1] / 1000.0) if lat else 0, sum(1 for l in lat if l >= 40000),
      failed.group(1) if failed else "0"))
EOF
  rm -f "$prefix".*
}
say "pgbench: lookup+decrypt, lookup+decrypt+audit, insert x {$CONNS} x $RUNS runs"
for r in $(seq 1 "$RUNS"); do
  for s in lookup lookup_audit insert; do
    for c in $CONNS; do
      pg_run "$s" "$c" "$RES/pg-$s-c$c.txt"
    done
  done
done
as_pg "$PGBIN/pg_ctl -D $WORK/pg/data -m fast -w stop" >/dev/null
PG_STARTED=0

# --- 9. the report ------------------------------------------------------------------
say "writing bench/RESULTS.md"
echo "$LOADAVG_START and $(cut -d' ' -f1-3 /proc/loadavg)" >"$RES/loadavg.txt"
python3 bench/report.py --results "$RES" --out bench/RESULTS.md --customers "$N" \
  --duration "$DUR" --soak "$SOAK" --runs "$RUNS" --quick "$QUICK" \
  --threads "$SHIPPED_THREADS" --build "$BUILD"
say "done in $(( $(date +%s) - T0 )) s"
