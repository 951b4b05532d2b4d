#!/bin/bash
# Checks that the two dashboard queries answer the same rows: the same tree of
# nodes, the same measures in the same order, the same values and targets.
# councilperf on :18181, PostGraphile on :15000 (as in run.sh).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ask() { curl -sf -H 'content-type: application/json' "$1" -d "$(jq -n --rawfile q "$2" '{query: $q}')"; }
ask http://127.0.0.1:18181/graphql "$here/dashboard-councilperf.graphql" | jq -c '
  [.data.authority.plans[].nodes[] | {c: .code, t: .title, ch: [.children[] | {c: .code, t: .title,
    m: [.measures[] | {c: .code, t: .title, v: (.result.value | if . == null then null else tostring end),
                      tg: (.result.target | if . == null then null else tostring end)}]}]}]' > /tmp/councilperf-rows.json
ask http://127.0.0.1:15000/graphql "$here/dashboard-postgraphile.graphql" | jq -c '
  [.data.authorityBySlug.plansByAuthorityId.nodes[].planNodesByPlanId.nodes[] | {c: .code, t: .title,
    ch: [.planNodesByParentId.nodes[] | {c: .code, t: .title,
      m: [.measuresByNodeId.nodes[] | {c: .code, t: .title, v: .resultsByMeasureId.nodes[0].value,
                                      tg: .targetsByMeasureId.nodes[0].target}]}]}]' > /tmp/postgraphile-rows.json
cmp /tmp/councilperf-rows.json /tmp/postgraphile-rows.json
echo "same rows: $(jq '[.[].ch[].m[]] | length' /tmp/councilperf-rows.json) measures"
