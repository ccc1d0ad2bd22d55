-- Cycles through a prepared list of requests and reports what bench/run.py
-- needs as one JSON line (prefixed "WRK_JSON ") when the run is done.
--
--   wrk -t2 -c16 -d10s -s bench/wrk/requests.lua http://127.0.0.1:PORT -- LIST_FILE 2
--   (the last argument: the number of wrk threads, as given to -t)
--
-- LIST_FILE has one request per line, fields separated by tabs:
--   METHOD <TAB> PATH <TAB> BODY (may be empty) <TAB> Header: value <TAB> ...
-- Each wrk thread takes every n-th line (thread k: lines k, k+n, ...), so that
-- the threads never send the same request (distinct users, distinct tickets).
-- Each thread goes through its share in order and starts again at the top
-- only when it runs out; "reused" in the report counts such repeats.

local threads = {}
local thread_count = 0

function setup(thread)
   thread_count = thread_count + 1
   thread:set("thread_no", thread_count)
   table.insert(threads, thread)
end

local function split_tabs(line)
   local fields = {}
   for f in (line .. "\t"):gmatch("([^\t]*)\t") do
      table.insert(fields, f)
   end
   return fields
end

function init(args)
   local path = args[1]
   local nthreads = tonumber(args[2] or 1)
   prepared = {}
   statuses = {}
   sent = 0
   position = 0
   local i = 0
   for line in io.lines(path) do
      if line ~= "" then
         i = i + 1
         if (i - 1) % nthreads == (thread_no - 1) % nthreads then
            local fields = split_tabs(line)
            local headers = {}
            for k = 4, #fields do
               local name, value = fields[k]:match("^([^:]+):%s*(.*)$")
               if name then headers[name] = value end
            end
            local body = fields[3]
            if body == nil or body == "" then body = nil end
            table.insert(prepared, wrk.format(fields[1], fields[2], headers, body))
         end
      end
   end
   if #prepared == 0 then
      error("no requests for thread " .. thread_no .. " in " .. path ..
            " (the list needs at least as many lines as wrk has threads)")
   end
   prepared_count = #prepared
end

function request()
   position = position % prepared_count + 1
   sent = sent + 1
   return prepared[position]
end

function response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
   local by_status = {}
   local sent_total, prepared_total, reused = 0, 0, 0
   for _, t in ipairs(threads) do
      local st = t:get("statuses") or {}
      for k, v in pairs(st) do
         by_status[k] = (by_status[k] or 0) + v
      end
      local s = t:get("sent") or 0
      local n = t:get("prepared_count") or 0
      sent_total = sent_total + s
      prepared_total = prepared_total + n
      if s > n then reused = reused + (s - n) end
   end
   local parts = {}
   for k, v in pairs(by_status) do
      table.insert(parts, string.format('"%s": %d', k, v))
   end
   local e = summary.errors
   local seconds = summary.duration / 1e6
   io.write(string.format(
      'WRK_JSON {"requests": %d, "duration_s": %.3f, "rps": %.2f, "bytes": %d, ' ..
      '"p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "mean_ms": %.3f, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"statuses": {%s}, "sent": %d, "prepared": %d, "reused": %d}\n',
      summary.requests, seconds, summary.requests / seconds, summary.bytes,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
      latency.max / 1000, latency.mean / 1000,
      e.connect, e.read, e.write, e.status, e.timeout,
      table.concat(parts, ", "), sent_total, prepared_total, reused))
end
