#!/usr/bin/env bash
# SQL injection scan of a running egide with Debian's sqlmap. Not part of `npm test`
# nor of CI: it takes minutes and needs `apt-get install -y sqlmap`. It starts a throwaway egide
# (tools/sqlmap/target.ts: its own database and Redis prefix, bootstrapped, a case filed and
# admitted), runs sqlmap on the main unauthenticated and authenticated endpoints, prints each
# verdict and exits non-zero if sqlmap reports any injectable parameter.
#
#   tools/sqlmap-scan.sh            # level 2 / risk 1
#   LEVEL=3 RISK=2 tools/sqlmap-scan.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v sqlmap >/dev/null || { echo "sqlmap is not installed (apt-get install -y sqlmap)"; exit 2; }
PORT="${PORT:-3999}"
LEVEL="${LEVEL:-2}"
RISK="${RISK:-1}"
WORK="$(mktemp -d /tmp/egide-sqlmap.XXXXXX)"
STATE="$WORK/state.json"
PORT="$PORT" SQLMAP_STATE="$STATE" ./node_modules/.bin/tsx tools/sqlmap/target.ts >"$WORK/target.log" 2>&1 &
TARGET=$!
# The target drops its database on SIGTERM; the state file holds its tokens and goes too.
cleanup() { kill -TERM "$TARGET" 2>/dev/null || true; wait "$TARGET" 2>/dev/null || true; rm -f "$STATE"; }
trap cleanup EXIT
for _ in $(seq 1 120); do [ -s "$STATE" ] && break; sleep 1; done
[ -s "$STATE" ] || { echo "the target did not start:"; cat "$WORK/target.log"; exit 2; }
j() { node -e "process.stdout.write(String(JSON.parse(require('fs').readFileSync('$STATE','utf8'))['$1']))"; }
BASE="$(j base)"; SUP="$(j supervisor)"; OFF="$(j officer)"; DEF="$(j defender)"; CASE="$(j caseId)"; USER="$(j username)"

found=0
scan() { # name, then sqlmap arguments
  local name="$1"; shift
  echo "== $name"
  sqlmap --batch --flush-session --dbms=PostgreSQL --level="$LEVEL" --risk="$RISK" --threads=2 \
    --output-dir="$WORK/out" --ignore-code=400,401,403,404,409,415,429 "$@" >"$WORK/$name.log" 2>&1 || true
  if grep -qE "is vulnerable|sqlmap identified the following injection point" "$WORK/$name.log"; then
    echo "   INJECTABLE: see $WORK/$name.log"; found=1
  else
    echo "   $(grep -E "all tested parameters do not appear to be injectable|does not seem to be injectable" "$WORK/$name.log" | tail -1 || echo 'no verdict line (see log)')"
  fi
}
J='Content-Type: application/json'
scan prelogin -u "$BASE/v1/auth/prelogin" --data "{\"username\":\"$USER*\"}" -H "$J"
scan login -u "$BASE/v1/auth/login" --data "{\"username\":\"$USER*\",\"authKey\":\"0AzjDb1po2wumkmo_40nffOxIxhZ6XjN1WP4gjalm8E\",\"totp\":\"492039\"}" -H "$J"
scan receipt -u "$BASE/v1/auth/receipt" --data '{"authKey":"0AzjDb1po2wumkmo_40nffOxIxhZ6XjN1WP4gjalm8E*"}' -H "$J"
scan recovery -u "$BASE/v1/auth/recovery/start" --data "{\"username\":\"$USER*\"}" -H "$J"
scan case-list -u "$BASE/v1/cases?state=triage&region=bamako&assignee=me&limit=10" -p state,region,assignee,limit -H "Authorization: Bearer $SUP"
scan audit-events -u "$BASE/v1/audit/events?actor=u%3Ax&action=case.read&limit=5" -p actor,action,limit -H "Authorization: Bearer $SUP"
scan case-read -u "$BASE/v1/cases/$CASE*" -H "Authorization: Bearer $OFF"
scan timeline -u "$BASE/v1/cases/$CASE/timeline?afterId=1&limit=5" -p afterId,limit -H "Authorization: Bearer $OFF"
scan messages -u "$BASE/v1/cases/$CASE/messages?limit=5" -p limit -H "Authorization: Bearer $DEF"
scan request-info -u "$BASE/v1/cases/$CASE/urgency" --data '{"urgent":true,"reason":"Menace confirmée*"}' -H "$J" -H "Authorization: Bearer $OFF"
scan deadlines -u "$BASE/v1/deadlines?rule=triage&limit=5" -p rule,limit -H "Authorization: Bearer $SUP"
echo
if [ "$found" = 1 ]; then echo "sqlmap found an injectable parameter"; exit 1; fi
echo "sqlmap found nothing injectable (level $LEVEL, risk $RISK); logs in $WORK"
