-- wrk script: every request submits a different officer's complete update (one submission
-- per request, never the same one twice). Sessions come from SESSIONS ("cookie csrf path" per
-- line) and the url-encoded answers from BODY. When the sessions run out the rest are 409s,
-- which wrk reports as non-2xx/3xx.
local sessions = {}
for line in io.lines(os.getenv("SESSIONS")) do
  local cookie, csrf, path = line:match("^(%S+) (%S+) (%S+)$")
  table.insert(sessions, { cookie = cookie, csrf = csrf, path = path })
end
local answers = io.open(os.getenv("BODY")):read("*a")
local threads = 0

function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  n = 0
  step = tonumber(os.getenv("THREADS") or "2")
end

function request()
  local index = id + n * step + 1
  n = n + 1
  local s = sessions[math.min(index, #sessions)]
  local body = "_csrf=" .. s.csrf .. "&_version=0&_action=submit&" .. answers
  return wrk.format("POST", s.path, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = s.cookie,
  }, body)
end

function done(summary, latency, requests)
  io.write(string.format("p95 %.2fms\n", latency:percentile(95) / 1000))
end
