#!/usr/bin/env bash
# HTTP file server benchmark: the zc example file servers (tokio, smol, async-std) against
# nginx, serving the same files on 127.0.0.1, one server thread against one nginx worker
# (`sendfile on; tcp_nopush on; access_log off;`), loaded by `wrk -t1 -c64`.
#
#   scripts/http-bench.sh                 # ~3 min: 5 rounds x 4 s per server and file
#   ROUNDS=5 DURATION=10 scripts/http-bench.sh
#
# Installs wrk and nginx with apt-get if they are missing (as root). Builds the examples in
# release mode. The runs are interleaved (round by round, the order of the servers rotating),
# and each figure is the median over the rounds: req/s from wrk, and the server's CPU per
# request from /proc/<pid>/stat (user + system time, all its threads, over the run).
# Environment: ROUNDS (5), DURATION seconds per run (4), CONNECTIONS (64), SERVERS (nginx
# tokio smol async-std axum-zc axum-tower-http), PORT_BASE (18400), KEEP=1 keeps the work
# directory.
#
# axum-zc is zc-hyper's example (zc_hyper::ServeDir behind zc_hyper::serve); axum-tower-http
# is the same axum app with tower-http's ServeDir behind axum::serve, TCP_NODELAY on, on a
# current-thread runtime (the example's `--serve-dir tower-http`).
set -Eeuo pipefail

cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-4}
CONNECTIONS=${CONNECTIONS:-64}
SERVERS=${SERVERS:-nginx tokio smol async-std axum-zc axum-tower-http}
PORT_BASE=${PORT_BASE:-18400}
FILES="16k.bin 1m.bin"

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ "${#need[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "missing ${need[*]}; install them or run as root" >&2; exit 1; }
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

cargo build --release -q --features tokio,smol,async-std \
  --example tokio_file_server --example smol_file_server --example async_std_file_server
# The axum rows (zc-hyper's example, both of its ServeDirs).
cargo build --release -q -p zc-hyper --features axum --example axum_file_server

work=$(mktemp -d /tmp/zc-http-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/www"
head -c $((16 << 10)) /dev/urandom >"$work/www/16k.bin"
head -c $((1 << 20)) /dev/urandom >"$work/www/1m.bin"

declare -A port pid
i=0
for server in $SERVERS; do
  port[$server]=$((PORT_BASE + i))
  i=$((i + 1))
done

start_nginx() {
  mkdir -p "$work/nginx"
  cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
master_process off;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
  sendfile on;
  tcp_nopush on;
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  server {
    listen 127.0.0.1:${port[nginx]};
    root $work/www;
  }
}
EOF
  "$NGINX" -c "$work/nginx/nginx.conf" -p "$work/nginx" &
  pid[nginx]=$!
}

for server in $SERVERS; do
  case $server in
    nginx) start_nginx ;;
    tokio | smol | async-std)
      "target/release/examples/${server//-/_}_file_server" --root "$work/www" \
        --addr "127.0.0.1:${port[$server]}" --threads 1 --access-log off 2>"$work/$server.log" &
      pid[$server]=$!
      ;;
    axum-zc | axum-tower-http)
      "target/release/examples/axum_file_server" --root "$work/www" \
        --addr "127.0.0.1:${port[$server]}" --threads 1 --access-log off \
        --serve-dir "$([ "$server" = axum-zc ] && echo zc || echo tower-http)" \
        2>"$work/$server.log" &
      pid[$server]=$!
      ;;
    *) echo "unknown server $server" >&2; exit 1 ;;
  esac
  pids+=("${pid[$server]}")
done

# Wait until every server answers.
for server in $SERVERS; do
  for _ in $(seq 100); do
    curl -sf -o /dev/null "http://127.0.0.1:${port[$server]}/16k.bin" && break
    sleep 0.1
  done
  curl -sf -o /dev/null "http://127.0.0.1:${port[$server]}/16k.bin" ||
    { echo "$server does not answer on ${port[$server]}" >&2; exit 1; }
done

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# Warm-up: page cache, lazily grown buffers.
for server in $SERVERS; do
  for file in $FILES; do
    wrk -t1 -c"$CONNECTIONS" -d1s "http://127.0.0.1:${port[$server]}/$file" >/dev/null
  done
done

echo "zc file servers vs nginx: wrk -t1 -c$CONNECTIONS -d${DURATION}s, $ROUNDS interleaved rounds"
echo "machine: $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
results="$work/results"
: >"$results"
servers=($SERVERS)
for round in $(seq "$ROUNDS"); do
  for file in $FILES; do
    n=${#servers[@]}
    for k in $(seq 0 $((n - 1))); do
      server=${servers[$(((k + round) % n))]}
      p=${pid[$server]}
      before=$(ticks "$p")
      out=$(wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:${port[$server]}/$file")
      after=$(ticks "$p")
      requests=$(awk '/requests in/ { print $1 }' <<<"$out")
      rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
      errors=$(awk '/Non-2xx|Socket errors/ { print }' <<<"$out")
      [ -z "$errors" ] || echo "  $server $file: $errors" >&2
      cpu_us=$(awk -v t=$((after - before)) -v hz="$hz" -v r="$requests" \
        'BEGIN { printf "%.2f", (r > 0) ? t / hz * 1e6 / r : 0 }')
      echo "$file $server $rps $cpu_us" >>"$results"
    done
  done
done

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
echo "| file | server | req/s | CPU µs/request | req/s vs nginx | CPU/request vs nginx |"
echo "|---|---|---|---|---|---|"
for file in $FILES; do
  base_rps=$(awk -v f="$file" '$1 == f && $2 == "nginx" { print $3 }' "$results" | median)
  base_cpu=$(awk -v f="$file" '$1 == f && $2 == "nginx" { print $4 }' "$results" | median)
  for server in $SERVERS; do
    rps=$(awk -v f="$file" -v s="$server" '$1 == f && $2 == s { print $3 }' "$results" | median)
    cpu=$(awk -v f="$file" -v s="$server" '$1 == f && $2 == s { print $4 }' "$results" | median)
    awk -v f="$file" -v s="$server" -v r="$rps" -v c="$cpu" -v br="${base_rps:-0}" -v bc="${base_cpu:-0}" \
      'BEGIN { rr = (br > 0) ? sprintf("%.2f×", r / br) : "-"; cr = (bc > 0) ? sprintf("%.2f×", c / bc) : "-";
               printf "| %s | %s | %.0f | %.1f | %s | %s |\n", f, s, r, c, rr, cr }'
  done
done
echo
echo "medians of $ROUNDS rounds; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
