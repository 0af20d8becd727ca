-- wrk script: POSTs GraphQL bodies and prints one JSON result line.
--   BENCH_REQUESTS  file of requests, one per line: "PATH<TAB>JSON BODY"; cycled in order
--   BENCH_NONCE     when "1", every request carries a unique x-bench-nonce header, so that a
--                   router forwarding it cannot share subgraph requests between client requests
--   BENCH_HEADERS   optional file of "Name: value" lines sent with every request
--   BENCH_AUTHORIZATION  when set, sent as the Authorization header of every request
local requests = {}
local extra_headers = {}
local counter = 0
local thread_id = 0
local nonce = os.getenv("BENCH_NONCE") == "1"
local authorization = os.getenv("BENCH_AUTHORIZATION")
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  local path = os.getenv("BENCH_REQUESTS")
  for line in io.lines(path) do
    local tab = line:find("\t", 1, true)
    if tab then
      table.insert(requests, { path = line:sub(1, tab - 1), body = line:sub(tab + 1) })
    end
  end
  if #requests == 0 then
    error("no requests in " .. tostring(path))
  end
  local header_path = os.getenv("BENCH_HEADERS")
  if header_path and header_path ~= "" then
    for line in io.lines(header_path) do
      local colon = line:find(":", 1, true)
      if colon then
        extra_headers[line:sub(1, colon - 1)] = line:sub(colon + 1):gsub("^%s+", "")
      end
    end
  end
  thread_id = tonumber(wrk.thread:get("thread_id")) or 0
end

function request()
  counter = counter + 1
  local item = requests[(counter - 1) % #requests + 1]
  local headers = { ["Content-Type"] = "application/json" }
  for name, value in pairs(extra_headers) do
    headers[name] = value
  end
  if nonce then
    headers["x-bench-nonce"] = thread_id .. "-" .. counter
  end
  if authorization and authorization ~= "" then
    headers["Authorization"] = authorization
  end
  return wrk.format("POST", item.path, headers, item.body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p95":%d,"p99":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99)))
end
