#!/usr/bin/env bash
# A 3-silo Parley cluster with Redis and the front end on this machine, for trying the cluster out.
# Each silo gets a loopback address of its own (127.0.0.2-4; Linux routes all of 127/8 to lo), all on the same HTTP,
# Orleans silo and gateway ports, as pods do in Kubernetes. Ctrl-C stops everything.
# Ports: front end 8080 on 127.0.0.1, silos 8080 on 127.0.0.2-4 (and 8082, the API over HTTP/2 that the front end
# forwards to), redis 6390 (override with the variables below).
set -euo pipefail
cd "$(dirname "$0")"

FRONT_PORT=${FRONT_PORT:-8080}
SILO_PORT=${SILO_PORT:-8080}
SILO_H2_PORT=${SILO_H2_PORT:-8082}
REDIS_PORT=${REDIS_PORT:-6390}
SILO_ADDRESSES=(${SILO_ADDRESSES:-127.0.0.2 127.0.0.3 127.0.0.4})
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
# Encryption at rest (docs/security.md): one key for this run's Redis, which starts empty and is gone with it.
export Parley__Encryption__Keys__local="$(head -c 32 /dev/urandom | base64)" Parley__Encryption__ActiveKeyId=local
for address in "${SILO_ADDRESSES[@]}"; do
  Parley__Cluster__AdvertisedAddress="$address" Parley__Cluster__FrontEndHttp2Port="$SILO_H2_PORT" \
    Parley__Auth__AdminKey="$ADMIN_KEY" Parley__Auth__BootstrapUserKey="$USER_KEY" \
    Parley__Audit__Directory="$work/audit-$address" \
    dotnet silo/bin/Release/net10.0/Parley.Silo.dll --urls "http://$address:$SILO_PORT" >"$work/silo-$address.log" 2>&1 &
  pids+=($!)
done
Parley__FrontEnd__SiloHttpPort="$SILO_H2_PORT" Parley__FrontEnd__SiloProtocol=Http2 \
  dotnet client-api/bin/Release/net10.0/Parley.ClientApi.dll --urls "http://127.0.0.1:$FRONT_PORT" >"$work/front.log" 2>&1 &
pids+=($!)

# Ready once the front end routes to every silo (its readiness body counts the healthy ones).
for _ in $(seq 1 300); do
  curl -fs "http://127.0.0.1:$FRONT_PORT/health/ready" 2>/dev/null | grep -q "\"healthy\":${#SILO_ADDRESSES[@]}" && break
  sleep 0.2
done

cat <<MSG
Parley cluster up: front end http://127.0.0.1:$FRONT_PORT, silos ${SILO_ADDRESSES[*]} (port $SILO_PORT; HTTP/2 for the front end on $SILO_H2_PORT), redis 127.0.0.1:$REDIS_PORT
Orleans Dashboard: http://${SILO_ADDRESSES[0]}:$SILO_PORT/dashboard (sign in with the admin key)
logs in $work
  admin key: $ADMIN_KEY
  user key:  $USER_KEY
  curl http://127.0.0.1:$FRONT_PORT/v1/chat/completions -H "Authorization: Bearer $USER_KEY" \\
    -H "Content-Type: application/json" -d '{"model":"parley-sim","messages":[{"role":"user","content":"Hello!"}]}'
Ctrl-C stops everything.
MSG
wait
