-- wrk script for bench.api_load: every second request of a connection revalidates with the ETag it last got
-- (If-None-Match) and should get 304; prints one JSON line of figures at the end.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  etag = nil
  sent = 0
  revalidations = 0
  not_modified = 0
end

function request()
  sent = sent + 1
  if etag ~= nil and sent % 2 == 0 then
    revalidations = revalidations + 1
    return wrk.format("GET", wrk.path, { ["If-None-Match"] = etag })
  end
  return wrk.format("GET", wrk.path)
end

function response(status, headers, body)
  if status == 200 then
    etag = headers["etag"] or headers["ETag"] or etag
  elseif status == 304 then
    not_modified = not_modified + 1
  end
end

function done(summary, latency, requests)
  local revalidated, answered = 0, 0
  for _, thread in ipairs(threads) do
    revalidated = revalidated + thread:get("revalidations")
    answered = answered + thread:get("not_modified")
  end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"revalidations": %d, "not_modified": %d, "errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, revalidated, answered,
    errors.connect + errors.read + errors.write + errors.status + errors.timeout))
end
