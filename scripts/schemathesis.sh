#!/usr/bin/env bash
# Fuzz the JSON API with Schemathesis against the release build, on its own port and
# database, and fail on a server error or an answer that the OpenAPI document does not
# describe (`make api-fuzz`, part of `make test`).
#   scripts/schemathesis.sh [EXTRA st run OPTIONS...]   e.g. --seed N to replay a run
# Environment: GATEHOUSE_BIN (default $CARGO_TARGET_DIR/release/gatehouse), ST_PORT (3200),
# ST_MAX_EXAMPLES (10), ST_TIMEOUT (seconds for the main run, 300).
# Reports, logs and Schemathesis' own caches are kept in target/st/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ST_VERSION=4.32.5
venv="$root/target/tools/st"
out="$root/target/st"
port=${ST_PORT:-3200}
target=${CARGO_TARGET_DIR:-$HOME/.cache/gatehouse/target}
bin=${GATEHOUSE_BIN:-$target/release/gatehouse}
base="http://127.0.0.1:$port"
say() { printf '==> %s\n' "$*"; }
die() { printf 'schemathesis.sh: %s\n' "$*" >&2; exit 1; }

# Installed on first use (not by scripts/tools.sh); a new ST_VERSION reinstalls.
if ! "$venv/bin/st" --version 2>/dev/null | grep -qx "st, version $ST_VERSION"; then
  say "installing schemathesis $ST_VERSION (the API fuzzer)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==$ST_VERSION"
fi

[ -x "$bin" ] || die "no server binary at $bin (run make build)"
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  die "port $port is taken: stop what listens there or set ST_PORT"
fi

mkdir -p "$out"
rm -f "$out"/*.log "$out"/*.json "$out"/*.xml
url=$("$root/scripts/db.sh" fresh gatehouse_st)

# As end2end/playwright.config.ts starts the server, plus a per-token API limit that
# thousands of requests from one token do not reach.
server_env=(
  DATABASE_URL="$url"
  APP_ADDR="127.0.0.1:$port"
  PUBLIC_URL="$base"
  DEMO_DATA=1
  SMTP_URL=
  GATEHOUSE_DEV=1
  PER_CLIENT_PER_HOUR=100000
  API_PER_TOKEN_PER_MINUTE=1000000
  LEPTOS_SITE_ROOT="${LEPTOS_SITE_ROOT:-$target/site}"
  RUST_LOG=warn
  # A fixed key for the throwaway database only.
  SECRET_KEYS='st:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8='
)

say "starting $bin on $base (log: $out/server.log)"
(cd "$root" && exec env "${server_env[@]}" "$bin") >"$out/server.log" 2>&1 &
pid=$!
# shellcheck disable=SC2317  # called by the trap
stop_server() {
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
trap stop_server EXIT
trap 'exit 130' INT TERM

for i in $(seq 120); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base/healthz" || true)" = 200 ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    tail -n 30 "$out/server.log" >&2
    die "the server exited before /healthz answered"
  fi
  [ "$i" = 120 ] && { tail -n 30 "$out/server.log" >&2; die "/healthz did not answer 200 within 60 s"; }
  sleep 0.5
done

# The demo owner's tokens; issue-token prints the token alone on standard output.
issue() {
  (cd "$root" && env "${server_env[@]}" "$bin" issue-token --email owner@acme.test \
    --name "schemathesis $1" --scope "$1" --days 1)
}
rw=$(issue read_write) || die "issue-token (read_write) failed"
ro=$(issue read) || die "issue-token (read) failed"
for t in "$rw" "$ro"; do [[ $t == gat_* ]] || die "issue-token printed something other than a token"; done
# A token the server refuses would make every answer a documented 401, and the run pass.
me=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $rw" "$base/api/v1/me" || true)
[ "$me" = 200 ] || die "GET /api/v1/me with the new token answered $me, not 200"

# Checks, chosen (st run --help lists them all):
#   not_a_server_error            no 5xx, for valid and invalid requests alike
#   status_code_conformance       every status is one the operation documents
#   content_type_conformance      every Content-Type is one documented for that status
#   response_schema_conformance   every body fits its documented schema
#   ignored_auth                  an operation that answered 2xx with the token is sent
#                                 again with no token and a wrong one, and must refuse
#                                 (once per operation: cheap, and it is the door's promise)
# Left out: negative_data_rejection and positive_data_acceptance judge the answer to data
# against the schema alone, so a valid-looking id that does not exist (404), a refusal
# for a business rule (409, 422), or invalid data the server reads leniently fail them
# without a fault. missing_required_header, unsupported_method, allow_header_conformance
# test framework behaviour the document does not promise; use_after_free,
# ensure_resource_availability and object_level_authorization need links and a second
# identity that this run does not set up. Mode is Schemathesis' default (valid and
# invalid data), so a malformed request must get a documented status (400) as well.
# Phases: the coverage phase is left out: on this machine's CPython 3.11.7 it stops with
# "SystemError: AST constructor recursion depth mismatch" inside Hypothesis (a CPython
# 3.11 bug in ast), which would fail the run with no finding about the API.
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,ignored_auth

# One bounded run: NAME TIMEOUT TOKEN ST-RUN-OPTIONS... Exits non-zero on any failure.
fuzz() {
  local name=$1 limit=$2 token=$3 rc=0
  shift 3
  say "schemathesis ($name): $base/api/v1/openapi.json"
  # Schemathesis keeps its caches (.hypothesis, .schemathesis: failures found before are
  # tried first next time) in the working directory.
  (cd "$out" && timeout --signal=INT --kill-after=30 "$limit" \
    "$venv/bin/st" run "$base/api/v1/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks "$checks" \
    --workers 2 \
    --request-timeout 10 \
    --phases examples,fuzzing,stateful \
    --report json,junit \
    --report-json-path "$out/$name.json" \
    --report-junit-path "$out/$name.junit.xml" \
    --no-color \
    "$@") >"$out/$name.log" 2>&1 || rc=$?
  # The summary and any failures, without the progress lines.
  sed -n '/^=* \(FAILURES\|ERRORS\|WARNINGS\|SUMMARY\) =*$/,$p' "$out/$name.log"
  [ "$rc" = 124 ] && echo "schemathesis ($name) was stopped after ${limit} s: the run is incomplete" >&2
  [ -f "$out/$name.json" ] && python3 - "$out/$name.json" "$name" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
ops, tc = r["operations"], r["test_cases"]
failed, errored, skipped = tc["with_failures"], tc["errored"], tc["without_checks"]
passed = max(tc["generated"] - failed - errored - skipped, 0)
warned = sorted(k for k, v in r.get("warnings", {}).items() if v)
print(f"schemathesis ({sys.argv[2]}): {ops['tested']} of {ops['total']} operations tested, "
      f"{tc['generated']} test cases, {tc['unique_failures']} unique failures, "
      f"{errored} errored, stop: {r['stop_reason']}, seed {r['seed']}"
      + (f", warnings: {', '.join(warned)}" if warned else ""))
print(f"{sys.argv[2]}: {passed} passed, {failed} failed, {skipped} skipped")
EOF
  return "$rc"
}

status=0
fuzz read-write "${ST_TIMEOUT:-300}" "$rw" --max-examples "${ST_MAX_EXAMPLES:-10}" "$@" || status=1
# A read token on every write: the refusal (403) must be documented too. (Its warning
# "Authentication failed: N operations returned only 401/403 responses" is expected.)
fuzz read 120 "$ro" --max-examples 3 --exclude-method GET "$@" || status=1

say "reports and logs: $out/ (read-write.log, read.log, *.json, *.junit.xml, server.log)"
exit "$status"
