-- Replays a list of requests round-robin and reports the results as one JSON line.
--
-- Usage: wrk ... -s bench/lua/requests.lua http://127.0.0.1:PORT -- REQUESTS_FILE [RUN_ID]
--   REQUESTS_FILE: one request per line, "METHOD<TAB>PATH<TAB>BODY" (BODY may be empty; JSON).
--   A body containing {{seq}} gets a value unique per request: RUN_ID-THREAD-COUNTER (for
--   endpoints that create a resource with a unique key). Other requests are formatted once.
--   WRK_BEARER (environment, optional): sent as "Authorization: Bearer <value>".
-- Each thread starts at a different offset so threads do not hit the same rows in lockstep.
-- done() prints "BENCH_JSON {...}" with counts and latency percentiles in microseconds.
-- status_errors is wrk's own count of responses with status >= 400.

local thread_count = 0

function setup(thread)
   thread:set("thread_index", thread_count)
   thread_count = thread_count + 1
end

local requests = {}
local position = 1
local run_id = "run"
local counter = 0

function init(args)
   local path = args[1]
   if not path then
      error("requests.lua: pass the requests file after --")
   end
   run_id = args[2] or run_id
   local bearer = os.getenv("WRK_BEARER")
   for line in io.lines(path) do
      local method, target, body = line:match("^([A-Z]+)\t([^\t]+)\t?(.*)$")
      if method then
         local headers = { ["Host"] = wrk.headers["Host"] }
         if bearer and bearer ~= "" then
            headers["Authorization"] = "Bearer " .. bearer
         end
         if body == "" then
            body = nil
         else
            headers["Content-Type"] = "application/json"
         end
         if body and body:find("{{seq}}", 1, true) then
            table.insert(requests, { method, target, headers, body })
         else
            table.insert(requests, wrk.format(method, target, headers, body))
         end
      end
   end
   if #requests == 0 then
      error("requests.lua: no requests in " .. path)
   end
   position = ((thread_index or 0) * 7919) % #requests + 1
end

function request()
   local r = requests[position]
   position = position + 1
   if position > #requests then
      position = 1
   end
   if type(r) == "table" then
      counter = counter + 1
      local seq = run_id .. "-" .. (thread_index or 0) .. "-" .. counter
      return wrk.format(r[1], r[2], r[3], (r[4]:gsub("{{seq}}", seq)))
   end
   return r
end

-- No response() hook on purpose: defining one makes wrk hand every response to Lua, which costs
-- wrk 20-40% of its throughput on this 2-core machine (and so steals CPU from the servers).
-- Status errors come from wrk's own counter (status >= 400); the runner checks 2xx beforehand.
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"status_errors":%d,' ..
      '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,' ..
      '"latency_us":{"min":%d,"mean":%.1f,"max":%d,"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p999":%d}}\n',
      summary.requests, summary.duration, summary.bytes, e.status,
      e.connect, e.read, e.write, e.timeout,
      latency.min, latency.mean, latency.max,
      latency:percentile(50), latency:percentile(75), latency:percentile(90),
      latency:percentile(99), latency:percentile(99.9)))
end
