"""Schemathesis hooks for councilperf: strategies for our custom scalars and
the check CI runs. Errors with a client code (BAD_USER_INPUT, FORBIDDEN, …)
are the contract working; a 5xx or an INTERNAL error is a bug."""

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

PERIODS = ["2023-24", "2023-24 Q1", "2022-23 Q4", "2024-02", "2019-20 Q2", "2020-21 Q2", "nonsense", ""]

schemathesis.graphql.scalar("Period", st.sampled_from(PERIODS).map(nodes.String))
schemathesis.graphql.scalar("Date", st.sampled_from(["2024-03-31", "2020-01-01", "31/03/2024"]).map(nodes.String))
# A file is only ever sent as a multipart part; over JSON a client can only
# name one, which must be refused as bad input, never fail inside.
schemathesis.graphql.scalar("Upload", st.sampled_from(["#__graphql_file__:0", "#__graphql_file__:x", "file"]).map(nodes.String))
schemathesis.graphql.scalar("DateTime", st.sampled_from(["2024-03-31T12:00:00Z", "yesterday"]).map(nodes.String))


@schemathesis.check
def no_internal_error(ctx, response, case):
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError as e:
        raise AssertionError(f"not JSON: {e}")
    for error in (body or {}).get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code is None or code == "INTERNAL":
            raise AssertionError(f"error without a client code: {error}")
