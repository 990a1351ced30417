#!/usr/bin/env bash
# A 3-silo Parley cluster with Redis and the front end on this machine, for trying the cluster out.
# Ctrl-C stops everything. Ports: front end 8080, silos 8081-8083, redis 6390 (override with the variables below).
set -euo pipefail
cd "$(dirname "$0")"

FRONT_PORT=${FRONT_PORT:-8080}
REDIS_PORT=${REDIS_PORT:-6390}
SILO_PORTS=(${SILO_PORTS:-8081 8082 8083})
ADMIN_KEY=${PARLEY_ADMIN_KEY:-sk-parley-demo-admin-key-change-me-0000000000}
USER_KEY=${PARLEY_USER_KEY:-sk-parley-demo-user-key-change-me-00000000000}

if ! command -v redis-server >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
fi

dotnet build -c Release --nologo -v quiet silo && dotnet build -c Release --nologo -v quiet client-api

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
pids+=($!)

export Parley__Redis__ConnectionString="127.0.0.1:$REDIS_PORT"
for port in "${SILO_PORTS[@]}"; do
  Parley__Auth__AdminKey="$ADMIN_KEY" Parley__Auth__BootstrapUserKey="$USER_KEY" \
    dotnet silo/bin/Release/net10.0/Parley.Silo.dll --urls "http://127.0.0.1:$port" >"$work/silo-$port.log" 2>&1 &
  pids+=($!)
done
dotnet client-api/bin/Release/net10.0/Parley.ClientApi.dll --urls "http://127.0.0.1:$FRONT_PORT" >"$work/front.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$FRONT_PORT/health/ready" >/dev/null 2>&1 && break
  sleep 0.2
done

cat <<MSG
Parley cluster up: front end http://127.0.0.1:$FRONT_PORT, silos ${SILO_PORTS[*]}, redis 127.0.0.1:$REDIS_PORT
logs in $work
  admin key: $ADMIN_KEY
  user key:  $USER_KEY
  curl http://127.0.0.1:$FRONT_PORT/v1/chat/completions -H "Authorization: Bearer $USER_KEY" \\
    -H "Content-Type: application/json" -d '{"model":"parley-sim","messages":[{"role":"user","content":"Hello!"}]}'
Ctrl-C stops everything.
MSG
wait
