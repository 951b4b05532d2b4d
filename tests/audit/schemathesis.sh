#!/usr/bin/env bash
# A short schemathesis run (GraphQL mode) against a running councilperf:
# fails on any HTTP 5xx or INTERNAL error. Installs schemathesis in a venv
# under target/ on first use.
#   bash tests/audit/schemathesis.sh http://127.0.0.1:8080/graphql [TOKEN]
set -euo pipefail
url=$1
here=$(cd "$(dirname "$0")" && pwd)
venv="$here/../../target/schemathesis-venv"
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
fi
cd "$here"
SCHEMATHESIS_HOOKS=st_hooks "$venv/bin/st" run "$url" \
  --checks no_internal_error --max-examples "${ST_EXAMPLES:-25}" --seed 1 \
  ${2:+--header "Authorization: Bearer $2"}
