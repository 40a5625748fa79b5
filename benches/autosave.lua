-- wrk script: each thread is one officer autosaving their own update request, as fast as
-- the server answers. Thread n uses session n from sessions.txt (cookie csrf path per line)
-- and follows the draft version the server returns, so every request is a real save.
local sessions = {}
for line in io.lines(os.getenv("SESSIONS") or "sessions.txt") do
  local cookie, csrf, path = line:match("^(%S+) (%S+) (%S+)$")
  table.insert(sessions, { cookie = cookie, csrf = csrf, path = path })
end
local counter = 0

function setup(thread)
  counter = counter + 1
  local s = sessions[(counter - 1) % #sessions + 1]
  thread:set("cookie", s.cookie)
  thread:set("csrf", s.csrf)
  thread:set("path", s.path)
end

local version = 0
local n = 0

function request()
  n = n + 1
  local body = string.format('{"version": %d, "answers": {"results_summary": "Autosave number %d: the centre served more families this month.", "beneficiaries_total": "%d"}}', version, n, 1000 + n)
  return wrk.format("POST", path .. "/draft", {
    ["Content-Type"] = "application/json",
    ["Cookie"] = cookie,
    ["X-CSRF-Token"] = csrf,
  }, body)
end

function response(status, headers, body)
  local v = body:match('"version":(%d+)')
  if v then version = tonumber(v) end
end

function done(summary, latency, requests)
  io.write(string.format("p95 %.2fms\n", latency:percentile(95) / 1000))
end
