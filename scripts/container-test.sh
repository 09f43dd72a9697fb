#!/usr/bin/env bash
# The container test (`make container-test`, run by .ci/run after pytest): builds the lean image and checks it
# as a service, with podman or docker, host networking only (nothing is published, no bridge network is made):
#   1. build (docker image format, so the HEALTHCHECK is kept); build seconds and image size are printed
#   2. the demo replayed inside the image (read-only root, tmpfs /tmp): its alert count equals the host's
#      `make demo` count (when a .venv exists to compare with)
#   3. `monitor run` in the image against a Redis container, a file source (the demo files) and a loopback Slack
#      peer (scripts/slack_peer.py on 127.0.0.1): every post classified, one Slack post per new alert;
#      start-up time to /readyz printed
#   4. the image's HEALTHCHECK command passes on the running container
#   5. SIGTERM (`stop` with a 40 s grace period, as in the compose file): exit code 0 within the grace period,
#      nothing pending on the posts or alerts groups, the heartbeat removed
#   6. writes only where the image allows: the service ran with --read-only and a tmpfs for /tmp; its log has
#      no write error and the prebuilt ONNX graph was used, not rebuilt
# Ends with "container-test: N passed, N failed" (exit 1 on a failure). Where neither `podman info` nor
# `docker info` works it prints one loud SKIPPED line and exits 0; also when the local stand-in base images
# (../shared/container/local-bases.sh, for machines without registry access) cannot be built within
# CONTAINER_TEST_BASES_TIMEOUT seconds.
#
# Environment: CONTAINER_ENGINE (podman|docker), CONTAINER_TEST_IMAGE (default iraq-monitor:container-test),
# CT_REDIS_PORT (16390), CT_HEALTH_PORT (18080), CT_SLACK_PORT (18090): distinct from the machine's own
# Redis on 6379 and the service default 8080.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
IMAGE=${CONTAINER_TEST_IMAGE:-iraq-monitor:container-test}
RP=${CT_REDIS_PORT:-16390}
HP=${CT_HEALTH_PORT:-18080}
SP=${CT_SLACK_PORT:-18090}
GRACE=40
NS=ct
RUN_ID=ct$$
pass=0
fail=0
say() { echo "container-test: $*"; }
ok() { say "PASS $*"; pass=$((pass + 1)); }
bad() { say "FAIL $*"; fail=$((fail + 1)); }
skip() { echo "!!!!!!!!!! CONTAINER TEST SKIPPED: $* !!!!!!!!!!"; exit 0; }
summary() { say "$pass passed, $fail failed"; [ "$fail" -eq 0 ]; }
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(now)"; }

# ---- engine
engine=${CONTAINER_ENGINE:-}
if [ -z "$engine" ]; then
  if command -v podman >/dev/null 2>&1 && podman info >/dev/null 2>&1; then engine=podman
  elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then engine=docker
  fi
fi
[ -n "$engine" ] || skip "no container engine here (neither 'podman info' nor 'docker info' works)"
if [ "$engine" = podman ] && [ -z "${CONTAINERS_CONF:-}" ] && [ -f /etc/containers/local-bases.conf ]; then
  export CONTAINERS_CONF=/etc/containers/local-bases.conf
fi
E() { "$engine" "$@"; }
say "engine: $engine ($("$engine" --version 2>/dev/null | head -n 1))"

# ---- base images: the registry's, or the local stand-ins where no registry is reachable
PY_BASE=docker.io/library/python:3.11-slim
REDIS_IMAGE=docker.io/library/redis:7-alpine
have_image() { E image inspect "$1" >/dev/null 2>&1; }
if ! have_image "$PY_BASE" || ! have_image "$REDIS_IMAGE"; then
  if ! E pull -q "$PY_BASE" >/dev/null 2>&1 || ! E pull -q "$REDIS_IMAGE" >/dev/null 2>&1; then
    bases=$ROOT/../shared/container/local-bases.sh
    if [ "$engine" = podman ] && [ -f "$bases" ]; then
      say "no registry: building the local stand-in base images ($bases, bounded by ${CONTAINER_TEST_BASES_TIMEOUT:-900} s)"
      timeout "${CONTAINER_TEST_BASES_TIMEOUT:-900}" bash "$bases" \
        || skip "the local stand-in base images could not be built in time (local-bases.sh)"
      export CONTAINERS_CONF=/etc/containers/local-bases.conf
    else
      skip "base images $PY_BASE / $REDIS_IMAGE unavailable (no registry, no local-bases.sh)"
    fi
  fi
fi

tmp=$(mktemp -d /tmp/container-test.XXXXXX)
chmod 755 "$tmp"
peer_pid=""
cleanup() {
  E rm -f -t 0 "$RUN_ID-mon" "$RUN_ID-redis" >/dev/null 2>&1 || E rm -f "$RUN_ID-mon" "$RUN_ID-redis" >/dev/null 2>&1
  [ -n "$peer_pid" ] && kill "$peer_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# ---- 1. build
build_args=(--network host -t "$IMAGE" --build-arg EXTRAS=)
[ "$engine" = podman ] && build_args=(--format docker "${build_args[@]}")
t0=$(now)
if E build "${build_args[@]}" . >"$tmp/build.log" 2>&1; then
  ok "build ($(since "$t0") s): $engine build ${build_args[*]} ."
else
  tail -n 30 "$tmp/build.log"
  bad "build failed (log above)"
  summary
  exit 1
fi
size=$(E image inspect --format '{{.Size}}' "$IMAGE")
say "image $IMAGE: $((size / 1000000)) MB ($size bytes)"
hc=$(E image inspect --format '{{json .Config.Healthcheck}}' "$IMAGE" 2>/dev/null)
user=$(E image inspect --format '{{.Config.User}}' "$IMAGE")
if [[ "$hc" == *'"monitor","check","--local"'* ]] && [ "$user" = monitor ]; then
  ok "image keeps its HEALTHCHECK and runs as user monitor"
else
  bad "image config: healthcheck=$hc user=$user"
fi

# ---- 2. the demo inside the image
t0=$(now)
E run --rm --network host --read-only --tmpfs /tmp:rw,size=256m "$IMAGE" replay samples/demo --output jsonl \
  >"$tmp/demo.jsonl" 2>"$tmp/demo.err"
rc=$?
in_image=$(grep -c . "$tmp/demo.jsonl")
say "demo in the image: $in_image alerts, exit $rc, $(since "$t0") s (read-only root)"
if [ -x .venv/bin/monitor ]; then
  .venv/bin/monitor replay samples/demo --output jsonl >"$tmp/demo-host.jsonl" 2>/dev/null
  on_host=$(grep -c . "$tmp/demo-host.jsonl")
  if [ "$rc" -eq 0 ] && [ "$in_image" -eq "$on_host" ] && [ "$in_image" -gt 0 ]; then
    ok "demo in the image gives the host's alert count ($in_image, as make demo)"
  else
    tail -n 5 "$tmp/demo.err"
    bad "demo: $in_image alerts in the image (exit $rc), $on_host on the host"
  fi
elif [ "$rc" -eq 0 ] && [ "$in_image" -gt 0 ]; then
  ok "demo in the image: $in_image alerts (no .venv on the host to compare with)"
else
  tail -n 5 "$tmp/demo.err"
  bad "demo in the image: exit $rc, $in_image alerts"
fi

# ---- 3. monitor run against a Redis container, a file source and a loopback Slack peer
rcli() { E exec "$RUN_ID-redis" redis-cli -p "$RP" "$@"; }
E run -d --name "$RUN_ID-redis" --network host "$REDIS_IMAGE" \
  redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1
for _ in $(seq 50); do [ "$(rcli ping 2>/dev/null)" = PONG ] && break; sleep 0.2; done
mkdir -p "$tmp/drop"
cp samples/demo/tg_alrased/result.json "$tmp/drop/tg_alrased.json"
cp samples/demo/tg_sabq/result.json "$tmp/drop/tg_sabq.json"
cp samples/demo/x_accounts.jsonl "$tmp/drop/"
chmod -R a+rX "$tmp/drop"
cat >"$tmp/monitor.yaml" <<YAML
service: {namespace: $NS, health_host: 127.0.0.1, health_port: $HP, heartbeat_seconds: 1,
          heartbeat_ttl_seconds: 15, shutdown_seconds: 30}
sources:
  - {id: drop, platform: file, path: /data/drop, poll_interval: 2, backfill: {last: 3000}}
sinks:
  slack: {enabled: true, rate_per_minute: 6000, rate_burst: 100}
YAML
chmod 644 "$tmp/monitor.yaml"
python3 scripts/slack_peer.py --port "$SP" --out "$tmp/slack.jsonl" 2>"$tmp/peer.log" &
peer_pid=$!
touch "$tmp/slack.jsonl"
t0=$(now)
E run -d --name "$RUN_ID-mon" --network host --read-only --tmpfs /tmp:rw,size=64m --stop-timeout "$GRACE" \
  -v "$tmp/monitor.yaml:/etc/monitor/monitor.yaml:ro" -v "$tmp/drop:/data/drop:ro" \
  -e MONITOR_CONFIG=/etc/monitor/monitor.yaml -e "REDIS_URL=redis://127.0.0.1:$RP/0" \
  -e "SLACK_WEBHOOK_URL=http://127.0.0.1:$SP/services/T000/B000/XXXX" \
  "$IMAGE" run --role all --log-json >/dev/null 2>"$tmp/run.err" || cat "$tmp/run.err"
ready=""
for _ in $(seq 600); do
  if python3 -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$HP/readyz', timeout=1)" \
      2>/dev/null; then ready=$(since "$t0"); break; fi
  [ "$(E inspect --format '{{.State.Running}}' "$RUN_ID-mon")" = true ] || break
  sleep 0.1
done
if [ -n "$ready" ]; then ok "monitor run ready (/readyz 200) $ready s after 'run -d'"; else bad "monitor run never ready"; fi

group_field() {  # stream group field -> value from XINFO GROUPS
  rcli XINFO GROUPS "$1" 2>/dev/null | awk -v g="$2" -v f="$3" '
    prev == "name" { cur = $0 } prev == f && cur == g { print; exit } { prev = $0 }'
}
news() { rcli XRANGE "$NS:alerts" - + 2>/dev/null | awk 'prev == "event" && $0 == "new" { n++ } { prev = $0 } END { print n + 0 }'; }
posted() { grep -c . "$tmp/slack.jsonl"; }
drained=""
running() { [ "$(E inspect --format '{{.State.Running}}' "$RUN_ID-mon" 2>/dev/null)" = true ]; }
for _ in $(seq 240); do
  running || break
  n=$(news); lag=$(group_field "$NS:posts" classify lag); pend=$(group_field "$NS:posts" classify pending)
  xlen=$(rcli XLEN "$NS:posts" 2>/dev/null)
  if [ "${xlen:-0}" -gt 0 ] && [ "$lag" = 0 ] && [ "$pend" = 0 ] && [ "$n" -gt 0 ] && [ "$(posted)" -ge "$n" ]; then
    sleep 3  # a late duplicate delivery would show up here
    [ "$(posted)" -eq "$(news)" ] && { drained=1; break; }
  fi
  sleep 0.5
done
n=$(news); xlen=$(rcli XLEN "$NS:posts")
rcli XRANGE "$NS:alerts" - + | awk 'prev == "event" { ev = $0 } prev == "alert_id" && ev == "new" { print } { prev = $0 }' \
  >"$tmp/new-ids.txt"
# each new alert's id in exactly one Slack post (the webhook gets no story updates)
ids_unique=$(python3 - "$tmp/slack.jsonl" "$tmp/new-ids.txt" <<'PY'
import json, sys
bodies = [json.dumps(json.loads(line)["body"], ensure_ascii=False) for line in open(sys.argv[1], encoding="utf-8")]
ids = [line.strip() for line in open(sys.argv[2], encoding="utf-8") if line.strip()]
once = ids and len(bodies) == len(ids) and all(sum(i in b for b in bodies) == 1 for i in ids)
print("yes" if once else "no")
PY
)
if [ -n "$drained" ] && [ "$ids_unique" = yes ]; then
  ok "monitor run: $xlen posts from the file source classified, $n alerts, $(posted) Slack posts (once each)"
else
  E logs --tail 20 "$RUN_ID-mon" 2>&1 | tail -n 20
  bad "monitor run: posts $xlen, new alerts $n, Slack posts $(posted), unique=$ids_unique, drained=${drained:-no}"
fi
say "live alerts ($n) beside the replay's ($in_image): the live file source reads the same posts in its own order"

# ---- 4. the HEALTHCHECK command on the running container
if [ "$engine" = podman ]; then
  E healthcheck run "$RUN_ID-mon" >"$tmp/hc.log" 2>&1; hrc=$?
else
  E exec "$RUN_ID-mon" monitor check --local >"$tmp/hc.log" 2>&1; hrc=$?
fi
if [ "$hrc" -eq 0 ]; then ok "HEALTHCHECK (monitor check --local) passes"; else cat "$tmp/hc.log"; bad "HEALTHCHECK exit $hrc"; fi

# ---- 5. SIGTERM within the grace period, nothing pending
t0=$(now)
E stop -t "$GRACE" "$RUN_ID-mon" >/dev/null 2>&1
took=$(since "$t0")
code=$(E inspect --format '{{.State.ExitCode}}' "$RUN_ID-mon")
E logs "$RUN_ID-mon" >"$tmp/mon.log" 2>&1
pp=$(group_field "$NS:posts" classify pending)
ap=$(group_field "$NS:alerts" sink:slack pending)
beats=$(rcli --scan --pattern "$NS:heartbeat:*" | grep -c .)
if [ "$code" = 0 ] && python3 -c "import sys; sys.exit(float(sys.argv[1]) >= $GRACE)" "$took" \
    && [ "$pp" = 0 ] && [ "$ap" = 0 ] && [ "$beats" = 0 ] && grep -q '"stopped"' "$tmp/mon.log"; then
  ok "SIGTERM: exit 0 in $took s (grace $GRACE s), nothing pending (posts $pp, slack $ap), heartbeat removed"
else
  tail -n 10 "$tmp/mon.log"
  bad "SIGTERM: exit $code in $took s, pending posts=$pp slack=$ap, heartbeats=$beats"
fi

# ---- 6. read-only root: no write errors, the prebuilt graph used
if [ -z "$ready" ] || [ -z "$drained" ]; then
  bad "read-only root: not shown (the service did not run through)"
elif grep -qiE 'read-only file system|permission denied' "$tmp/mon.log" "$tmp/demo.err"; then
  grep -iE 'read-only file system|permission denied' "$tmp/mon.log" "$tmp/demo.err" | head -n 5
  bad "a write outside the allowed places (above)"
elif grep -q 'building the ONNX Runtime graph' "$tmp/mon.log" "$tmp/demo.err"; then
  bad "the ONNX graph was rebuilt at run time (the image's prebuilt one was not used)"
else
  ok "read-only root + tmpfs /tmp: no write error, the image's prebuilt ONNX graph used"
fi

summary
