-- wrk script for Contact Vault workloads. Environment:
--   BENCH_WORKLOAD  search | verify | reveal | create | find_or_create | mixed | healthz
--   BENCH_CUSTOMERS a file of "id<TAB>email<TAB>phone" lines (bench_loader's sample)
--   BENCH_TOKENS    a file of KEY=VALUE lines with POS_TOKEN (bench_loader's tokens.env)
--   BENCH_SUPPORT   a file of support-role tokens, one a line (reveal; used in turn)
--   BENCH_RUN       a tag unique to this run, so created emails never repeat
--   BENCH_STALL_MS  latency counted as a stall (default 40)
-- Every request carries a bearer token and a JSON body; each lookup uses the
-- next customer of the sample (each thread starts at its own offset), each
-- create a new address. done() prints one machine-readable line:
--   BENCH_RESULT requests=... rps=... p50_ms=... p99_ms=... p999_ms=... max_ms=...
--                stalls=... errors=... non2xx=...

local workload = os.getenv("BENCH_WORKLOAD") or "search"
local run_tag = os.getenv("BENCH_RUN") or tostring(os.time())
local stall_ms = tonumber(os.getenv("BENCH_STALL_MS") or "40")

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("thread_no", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

local function read_lines(path)
  local lines = {}
  if path == nil then return lines end
  local f = io.open(path, "r")
  if f == nil then return lines end
  for line in f:lines() do
    if line ~= "" then lines[#lines + 1] = line end
  end
  f:close()
  return lines
end

local ids, emails = {}, {}
local pos_token, support_tokens = nil, {}
local counter = 0
local offset = 0

function init(args)
  for _, line in ipairs(read_lines(os.getenv("BENCH_CUSTOMERS"))) do
    local id, email = line:match("^([^\t]+)\t([^\t]+)")
    if id then
      ids[#ids + 1] = id
      emails[#emails + 1] = email
    end
  end
  for _, line in ipairs(read_lines(os.getenv("BENCH_TOKENS"))) do
    local k, v = line:match("^([A-Z_]+)=(.*)$")
    if k == "POS_TOKEN" then pos_token = v end
  end
  support_tokens = read_lines(os.getenv("BENCH_SUPPORT"))
  local n = thread_no or 0
  offset = (n * 7919) % math.max(#ids, 1)
  math.randomseed(os.time() + n * 131)
end

local function json_string(s)
  return '"' .. s .. '"'  -- the generated values need no escaping
end

local function post(path, body, token)
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, body)
end

local function next_customer()
  counter = counter + 1
  local i = ((offset + counter) % #ids) + 1
  return ids[i], emails[i]
end

local function new_email()
  counter = counter + 1
  return "new-" .. run_tag .. "-" .. (thread_no or 0) .. "-" .. counter .. "@bench.example"
end

local function new_phone()
  return "+1416" .. tostring(3000000 + math.random(0, 6999999))
end

local builders = {}

builders.healthz = function()
  return wrk.format("GET", "/healthz")
end

builders.search = function()
  local _, email = next_customer()
  return post("/v1/customers/search", '{"email":' .. json_string(email) .. '}', pos_token)
end

builders.verify = function()
  local id, email = next_customer()
  return post("/v1/customers/" .. id .. "/verify", '{"email":' .. json_string(email) .. '}',
              pos_token)
end

builders.reveal = function()
  local id = next_customer()
  local token = support_tokens[(counter % #support_tokens) + 1]
  return post("/v1/customers/" .. id .. "/reveal",
              '{"fields":["phone"],"reason":"benchmark: calling the customer back"}', token)
end

builders.create = function()
  local body = '{"email":' .. json_string(new_email()) .. ',"phone":' ..
               json_string(new_phone()) .. ',"name":"Bench Customer"}'
  return post("/v1/customers", body, pos_token)
end

-- A till: half the customers are returning (found), half are new (created).
builders.find_or_create = function()
  local email
  if counter % 2 == 0 then
    local _, e = next_customer()
    email = e
  else
    email = new_email()
  end
  return post("/v1/customers/find-or-create",
              '{"email":' .. json_string(email) .. ',"name":"Bench Customer"}', pos_token)
end

-- The soak: a shop's day. 60% search, 15% verify, 15% find-or-create,
-- 5% create, 5% reveal.
builders.mixed = function()
  local r = math.random(100)
  if r <= 60 then return builders.search()
  elseif r <= 75 then return builders.verify()
  elseif r <= 90 then return builders.find_or_create()
  elseif r <= 95 then return builders.create()
  else return builders.reveal() end
end

local build = builders[workload]
if build == nil then error("unknown BENCH_WORKLOAD " .. workload) end

function request()
  return build()
end

function done(summary, latency, requests)
  local stall_us = stall_ms * 1000
  local stalls = 0
  -- latency(i): the i-th distinct latency (microseconds) and how many
  -- requests took it; #latency: how many distinct latencies there are.
  for i = 1, #latency do
    local us, count = latency(i)
    if us >= stall_us then stalls = stalls + count end
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "BENCH_RESULT requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f " ..
    "p999_ms=%.3f max_ms=%.3f mean_ms=%.3f stalls=%d errors=%d non2xx=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency:percentile(99.9) / 1000, latency.max / 1000,
    latency.mean / 1000, stalls, e.connect + e.read + e.write + e.timeout, e.status))
end
