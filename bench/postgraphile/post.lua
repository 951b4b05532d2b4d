-- wrk -s post.lua URL -- QUERY_FILE [BEARER_TOKEN]
-- POSTs the GraphQL document in QUERY_FILE as {"query": ...} on every request.
-- wrk prints "Non-2xx or 3xx responses" when any answer is not a 200; the
-- answers' bodies are checked once with curl before the runs, not here, so
-- that wrk spends no CPU parsing them.
function init(args)
  local f = assert(io.open(args[1], "r"))
  local query = f:read("*a")
  f:close()
  local escaped = query:gsub('[\\"]', '\\%0'):gsub("\n", "\\n")
  wrk.method = "POST"
  wrk.body = '{"query":"' .. escaped .. '"}'
  wrk.headers["Content-Type"] = "application/json"
  if args[2] then
    wrk.headers["Authorization"] = "Bearer " .. args[2]
  end
end
