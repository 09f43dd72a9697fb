#!/usr/bin/env bash
# The compose stack brought up with podman-compose and the host-network override, fed, one classifier
# killed and replaced, brought down (`make compose-check`; not part of CI: it takes a few minutes and needs
# podman-compose). Steps:
#   1. the lean image built (the same command as the container test), the stack up (Redis with AOF, monitor
#      = collector+dispatcher, classifier-1, classifier-2), every process /readyz on its own port
#   2. posts in: two demo files dropped into the file source's folder; every post classified, one Slack post
#      per new alert (a loopback Slack peer on 127.0.0.1)
#   3. classifier-1 killed (SIGKILL), the third demo file dropped: classifier-2 takes it; classifier-1 replaced
#      (`up -d` recreates it) and ready again; alerts still once each
#   4. Redis restarted: the posts stream is still there (append-only file on the volume)
#   5. `down`: every container stopped with exit code 0 (SIGTERM, within the grace period) and removed
# Ends with "compose-check: N passed, N failed". Host networking only; ports: Redis 127.0.0.1:$REDIS_PORT
# (16391 here), health 8080-8082 (docker-compose.yml), Slack peer $CT_SLACK_PORT (18091).
set -uo pipefail
cd "$(dirname "$0")/.."
PC=${PODMAN_COMPOSE:-$(command -v podman-compose || echo /opt/podman-compose/bin/podman-compose)}
[ -x "$PC" ] || { echo "!!!!!!!!!! COMPOSE CHECK SKIPPED: podman-compose not found (pip install podman-compose) !!!!!!!!!!"; exit 0; }
podman info >/dev/null 2>&1 || { echo "!!!!!!!!!! COMPOSE CHECK SKIPPED: podman does not work here !!!!!!!!!!"; exit 0; }
[ -z "${CONTAINERS_CONF:-}" ] && [ -f /etc/containers/local-bases.conf ] && export CONTAINERS_CONF=/etc/containers/local-bases.conf
export REDIS_PORT=${REDIS_PORT:-16391}
SP=${CT_SLACK_PORT:-18091}
PROJECT=iraqmon-check
NS=monitor
pass=0
fail=0
say() { echo "compose-check: $*"; }
ok() { say "PASS $*"; pass=$((pass + 1)); }
bad() { say "FAIL $*"; fail=$((fail + 1)); }
tmp=$(mktemp -d /tmp/compose-check.XXXXXX)
chmod 755 "$tmp"
mkdir -p "$tmp/config" "$tmp/data/drop"
chmod -R 755 "$tmp/config" "$tmp/data"
export MONITOR_CONFIG_DIR=$tmp/config MONITOR_DATA_DIR=$tmp/data MONITOR_ENV_FILE=$tmp/check.env
compose() { "$PC" -p "$PROJECT" -f docker-compose.yml -f docker-compose.hostnet.yml "$@"; }
peer_pid=""
cleanup() {
  compose down -v -t 5 >/dev/null 2>&1
  [ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
cat >"$tmp/config/monitor.yaml" <<'YAML'
service: {namespace: monitor, health_host: 127.0.0.1, health_port: "${MONITOR_HEALTH_PORT:-8080}",
          heartbeat_seconds: 1, heartbeat_ttl_seconds: 15, claim_idle_seconds: 5, shutdown_seconds: 30}
sources:
  - {id: drop, platform: file, path: /data/drop, poll_interval: 2, backfill: {last: 3000}}
sinks:
  slack: {enabled: true, rate_per_minute: 6000, rate_burst: 100}
YAML
chmod 644 "$tmp/config/monitor.yaml"
echo "SLACK_WEBHOOK_URL=http://127.0.0.1:$SP/services/T000/B000/XXXX" >"$tmp/check.env"
python3 scripts/slack_peer.py --port "$SP" --out "$tmp/slack.jsonl" 2>/dev/null &
peer_pid=$!
touch "$tmp/slack.jsonl"

ctr() { echo "${PROJECT}_$1_1"; }
rcli() { podman exec "$(ctr redis)" redis-cli -p "$REDIS_PORT" "$@"; }
ready() { python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$1/readyz', timeout=1)" 2>/dev/null; }
wait_ready() {  # port seconds
  for _ in $(seq $(($2 * 4))); do ready "$1" && return 0; sleep 0.25; done
  return 1
}
group_field() {
  rcli XINFO GROUPS "$1" 2>/dev/null | awk -v g="$2" -v f="$3" '
    prev == "name" { cur = $0 } prev == f && cur == g { print; exit } { prev = $0 }'
}
news() { rcli XRANGE "$NS:alerts" - + 2>/dev/null | awk 'prev == "event" && $0 == "new" { n++ } { prev = $0 } END { print n + 0 }'; }
posted() { grep -c . "$tmp/slack.jsonl"; }
drained() {  # expected posts on the stream, seconds
  for _ in $(seq $(($2 * 2))); do
    xlen=$(rcli XLEN "$NS:posts" 2>/dev/null)
    lag=$(group_field "$NS:posts" classify lag); pend=$(group_field "$NS:posts" classify pending)
    if [ "${xlen:-0}" -ge "$1" ] && [ "$lag" = 0 ] && [ "$pend" = 0 ] && [ "$(posted)" -ge "$(news)" ]; then
      sleep 3
      [ "$(posted)" -eq "$(news)" ] && return 0
    fi
    sleep 0.5
  done
  return 1
}
once_each() {
  rcli XRANGE "$NS:alerts" - + | awk 'prev == "event" { ev = $0 } prev == "alert_id" && ev == "new" { print } { prev = $0 }' \
    >"$tmp/new-ids.txt"
  python3 - "$tmp/slack.jsonl" "$tmp/new-ids.txt" <<'PY'
import json, sys
bodies = [json.dumps(json.loads(line)["body"], ensure_ascii=False) for line in open(sys.argv[1], encoding="utf-8")]
ids = [line.strip() for line in open(sys.argv[2], encoding="utf-8") if line.strip()]
sys.exit(0 if ids and len(bodies) == len(ids) and all(sum(i in b for b in bodies) == 1 for i in ids) else 1)
PY
}
# ---- 1. build and up
t0=$(date +%s)
podman build --format docker --network host -t iraq-monitor:lean --build-arg EXTRAS= . >"$tmp/build.log" 2>&1 \
  || { tail -n 20 "$tmp/build.log"; bad "build"; say "$pass passed, $fail failed"; exit 1; }
say "image built in $(($(date +%s) - t0)) s"
t0=$(date +%s)
compose up -d --no-build >"$tmp/up.log" 2>&1
up_rc=$?
all_ready=1
for port in 8080 8081 8082; do wait_ready "$port" 180 || all_ready=""; done
if [ "$up_rc" -eq 0 ] && [ -n "$all_ready" ]; then
  ok "up: redis, monitor, classifier-1, classifier-2; /readyz 200 on 8080, 8081, 8082 after $(($(date +%s) - t0)) s"
else
  tail -n 20 "$tmp/up.log"; bad "up (exit $up_rc), ready: ${all_ready:-no}"
fi
appendonly=$(rcli CONFIG GET appendonly | tail -n 1)
[ "$appendonly" = yes ] && ok "redis: appendonly yes on 127.0.0.1:$REDIS_PORT" || bad "redis appendonly: $appendonly"

# ---- 2. posts in, alerts out once each
mkdir -p "$tmp/counts"
for f in tg_alrased tg_sabq x_accounts; do
  src=samples/demo/$f/result.json; [ "$f" = x_accounts ] && src=samples/demo/x_accounts.jsonl
  /bin/cp "$src" "$tmp/$f.src"
done
# how many posts each file holds, as the pipeline reads them (the replay's summary on stderr)
for f in tg_alrased tg_sabq x_accounts; do
  ext=json; [ "$f" = x_accounts ] && ext=jsonl
  mkdir -p "$tmp/one/$f"; cp "$tmp/$f.src" "$tmp/one/$f/$f.$ext"; chmod -R a+rX "$tmp/one"
  podman run --rm --network host --read-only --tmpfs /tmp -v "$tmp/one/$f:/in:ro" iraq-monitor:lean \
    replay /in --output jsonl 2>"$tmp/one/$f.err" >/dev/null
  grep -oE '"posts_read": [0-9]+|posts read[^0-9]*[0-9]+|[0-9]+ posts' "$tmp/one/$f.err" | head -n 1 \
    | grep -oE '[0-9]+' >"$tmp/counts/$f.n" || echo 0 >"$tmp/counts/$f.n"
done
cnt() { cat "$tmp/counts/$1.n"; }
cp "$tmp/tg_alrased.src" "$tmp/data/drop/tg_alrased.json"
cp "$tmp/x_accounts.src" "$tmp/data/drop/x_accounts.jsonl"
chmod -R a+rX "$tmp/data"
first=$(( $(cnt tg_alrased) + $(cnt x_accounts) ))
if drained "$first" 180 && once_each; then
  ok "posts in: $(rcli XLEN $NS:posts) posts classified, $(news) alerts, $(posted) Slack posts, once each"
else
  bad "first batch: posts $(rcli XLEN $NS:posts) (expected $first), alerts $(news), Slack $(posted)"
fi

# ---- 3. classifier-1 killed, more posts, classifier-1 replaced
podman kill "$(ctr classifier-1)" >/dev/null 2>&1
sleep 1
state=$(podman inspect --format '{{.State.Status}}' "$(ctr classifier-1)" 2>/dev/null)
cp "$tmp/tg_sabq.src" "$tmp/data/drop/tg_sabq.json"
chmod a+r "$tmp/data/drop/tg_sabq.json"
all=$(( first + $(cnt tg_sabq) ))
if drained "$all" 180 && once_each; then
  ok "classifier-1 killed ($state): classifier-2 took the next posts: $(rcli XLEN $NS:posts) posts, $(news) alerts, once each"
else
  bad "after the kill: posts $(rcli XLEN $NS:posts) (expected $all), alerts $(news), Slack $(posted)"
fi
t0=$(date +%s)
compose up -d --no-build classifier-1 >"$tmp/replace.log" 2>&1
if wait_ready 8081 180; then
  consumers=$(rcli XINFO CONSUMERS "$NS:posts" classify | awk 'prev == "name" { print } { prev = $0 }' | sort -u | grep -c .)
  ok "classifier-1 replaced: /readyz 200 on 8081 after $(($(date +%s) - t0)) s ($consumers consumers seen by the group)"
else
  tail -n 10 "$tmp/replace.log"; bad "classifier-1 not back"
fi
beats=$(rcli --scan --pattern "$NS:heartbeat:*" | sed 's/.*heartbeat://' | sort | tr '\n' ' ')
say "heartbeats: $beats"
hc_ok=1
for s in monitor classifier-1 classifier-2; do podman healthcheck run "$(ctr "$s")" >/dev/null 2>&1 || hc_ok=""; done
[ -n "$hc_ok" ] && ok "HEALTHCHECK passes in monitor, classifier-1, classifier-2" || bad "a HEALTHCHECK failed"

# ---- 4. Redis restart keeps the stream (AOF)
before=$(rcli XLEN "$NS:posts")
podman restart -t 10 "$(ctr redis)" >/dev/null 2>&1
for _ in $(seq 50); do [ "$(rcli ping 2>/dev/null)" = PONG ] && break; sleep 0.2; done
after=$(rcli XLEN "$NS:posts")
[ "$before" = "$after" ] && [ "$before" -gt 0 ] && ok "redis restarted: posts stream kept ($after entries, AOF)" \
  || bad "redis restart: $before -> $after entries"
for port in 8080 8081 8082; do wait_ready "$port" 60 || bad "port $port not ready after the Redis restart"; done

# ---- 5. down
t0=$(date +%s)
compose stop -t 40 >"$tmp/stop.log" 2>&1
codes=""
for s in monitor classifier-1 classifier-2; do
  codes="$codes $s=$(podman inspect --format '{{.State.ExitCode}}' "$(ctr "$s")" 2>/dev/null)"
done
took=$(($(date +%s) - t0))
compose down -v -t 5 >"$tmp/down.log" 2>&1
left=$(podman ps -a --filter "label=io.podman.compose.project=$PROJECT" --format '{{.Names}}' | grep -c .)
if [[ "$codes" != *=[1-9]* ]] && [[ "$codes" == *monitor=0* ]] && [ "$left" -eq 0 ] && [ "$took" -lt 120 ]; then
  ok "down: stopped in $took s with exit codes$codes, no container left"
else
  bad "down: exit codes$codes in $took s, $left containers left"
fi
say "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
