#!/bin/bash
# One round of the side-by-side dashboard runs (BENCHMARKS.md, "PostGraphile
# side by side"): each variant is started alone, warmed for 3 s, measured
# with wrk for 10 s at 32 connections, then stopped.
#
#   bench/postgraphile/run.sh ROUND VARIANT...
#   variants: cp-off-public cp-off-officer cp-on-public cp-on-officer
#             baseline pg-default pg-nolog pg-cluster2
#
# CP_BIN (target/release/councilperf), BENCH_BIN
# (target/release/councilperf-bench), POSTGRAPHILE (an installed
# postgraphile@4 bin, outside this repository), DATABASE_URL, JWT_SECRET.
# Results go to $OUT (bench-results/) as rROUND-VARIANT.txt.
set -u
here=$(cd "$(dirname "$0")" && pwd)
CP_BIN=${CP_BIN:-target/release/councilperf}
BENCH_BIN=${BENCH_BIN:-target/release/councilperf-bench}
POSTGRAPHILE=${POSTGRAPHILE:-/tmp/pg-peer/node_modules/.bin/postgraphile}
DB=${DATABASE_URL:?the database with the national dataset}
export JWT_SECRET=${JWT_SECRET:-bench-secret-of-at-least-32-bytes-long}
OUT=${OUT:-bench-results}
mkdir -p "$OUT"
# CPU ticks (user + system) of the given processes, from /proc.
cpu() { local t=0 p; for p in "$@"; do [ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
metrics() { curl -s http://127.0.0.1:18181/metrics | grep -E '^councilperf_(db_statements_total|cache_(hits|misses|evictions)_total) ' | sed "s/^/$1 /"; }
round=$1; shift
for v in "$@"; do
  out=$OUT/r$round-$v.txt
  tok=
  case $v in
    cp-*)
      case $v in cp-off-*) cache=0;; *) cache=32;; esac
      COUNCILPERF_CACHE_MB=$cache DATABASE_URL=$DB COUNCILPERF_BIND=127.0.0.1:18181 \
        "$CP_BIN" serve > "$OUT/$v.log" 2>&1 &
      pid=$!; url=http://127.0.0.1:18181/graphql; q=$here/dashboard-councilperf.graphql
      case $v in *-officer) tok=$("$CP_BIN" token --sub bench --grant a0001:OFFICER --ttl 1h);; esac ;;
    pg-*)
      extra=
      case $v in
        pg-nolog) extra=--disable-query-log;;
        pg-cluster2) extra="--disable-query-log --cluster-workers 2";;
      esac
      "$POSTGRAPHILE" --classic-ids -c "$DB" --host 127.0.0.1 --port 15000 $extra > "$OUT/$v.log" 2>&1 &
      pid=$!; url=http://127.0.0.1:15000/graphql; q=$here/dashboard-postgraphile.graphql ;;
    baseline)
      DATABASE_URL=$DB "$BENCH_BIN" baseline > "$OUT/$v.log" 2>&1 &
      pid=$!; url="http://127.0.0.1:18282/dashboard/a0001/2023-24%20Q4"; q= ;;
    *) echo "unknown variant $v" >&2; exit 2 ;;
  esac
  for _ in $(seq 60); do
    curl -s -o /dev/null -m 2 ${q:+-H 'content-type: application/json' -d '{"query":"{__typename}"}'} "$url" && break
    sleep 0.5
  done
  {
    echo "== round $round $v $(date -u +%T)"
    case $v in cp-*) metrics before;; esac
    wrk -t2 -c32 -d3s ${q:+-s $here/post.lua} "$url" ${q:+-- $q $tok} > /dev/null
    echo "loadavg before: $(cat /proc/loadavg)"
    srv="$pid $(pgrep -P $pid)"; s0=$(cpu $srv); d0=$(cpu $(pgrep -u postgres))
    /usr/bin/time -f "wrk cpu s: %U %S" wrk -t2 -c32 -d10s --latency ${q:+-s $here/post.lua} "$url" ${q:+-- $q $tok}
    s1=$(cpu $srv); d1=$(cpu $(pgrep -u postgres))
    echo "cpu ticks server: $((s1-s0)) postgres: $((d1-d0)) (hz $(getconf CLK_TCK))"
    echo "loadavg after: $(cat /proc/loadavg)"
    case $v in cp-*) metrics after;; esac
    for c in $pid $(pgrep -P $pid); do echo "rss pid $c: $(grep VmHWM /proc/$c/status | tr -s ' ')"; done
  } > "$out" 2>&1
  kill $pid $(pgrep -P $pid) 2>/dev/null; wait $pid 2>/dev/null; sleep 2
  grep -E "== |Requests/sec|  50%|  99%|Non-2xx|Socket errors|loadavg|cpu" "$out"
done
