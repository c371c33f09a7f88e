-- Admit one request against a key's counters (KEYS[1], a hash), by the rules of Tracker.Admit
-- (limits.go). Times are unix milliseconds; a limit of -1 is none.
-- ARGV: now, budget duration, period start, max budget, estimated cost, rpm, rpd, tpm,
--       prompt tokens, UTC day start, UTC minute start, stale in-flight age
-- Returns {verdict, 0, spend, inflight, tat, rpd day, rpd count, tpm minute, tpm current,
-- tpm previous}: verdict 0 admitted, 1 budget spent, 2 budget committed to requests in flight,
-- 3 rpm, 4 rpd, 5 tpm.
local k = KEYS[1]
local now, dur, pstart = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local maxb, est = tonumber(ARGV[4]), tonumber(ARGV[5])
local rpm, rpd, tpm = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local prompt, day, minute, stale = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12])

local f = redis.call('HMGET', k, 'dur', 'pstart', 'spend', 'inflight', 'reserved', 'avg', 'tat',
  'rpdday', 'rpdn', 'tpmmin', 'tpmcur', 'tpmprev', 'touched')
local spend = tonumber(f[3]) or 0
if f[1] == dur and f[2] ~= pstart then spend = 0 end -- a new period (a changed schedule keeps it)
local inflight, reserved, avg = tonumber(f[4]) or 0, tonumber(f[5]) or 0, tonumber(f[6]) or 0
if inflight > 0 and now - (tonumber(f[13]) or 0) > stale then inflight, reserved = 0, 0 end
local tat = tonumber(f[7]) or 0
local rpdday, rpdn = tonumber(f[8]) or 0, tonumber(f[9]) or 0
if rpdday ~= day then rpdday, rpdn = day, 0 end
local tmin, tcur, tprev = tonumber(f[10]) or 0, tonumber(f[11]) or 0, tonumber(f[12]) or 0
if tpm >= 0 and tmin ~= minute then
  if minute - tmin == 60000 then tprev, tcur = tcur, 0 else tprev, tcur = 0, 0 end
  tmin = minute
end

local function reply(verdict)
  redis.call('HSET', k, 'dur', dur, 'pstart', pstart, 'spend', string.format('%.17g', spend),
    'inflight', inflight, 'reserved', string.format('%.17g', reserved),
    'tat', string.format('%.17g', tat), 'rpdday', string.format('%.17g', rpdday), 'rpdn', rpdn,
    'tpmmin', string.format('%.17g', tmin), 'tpmcur', tcur, 'tpmprev', tprev, 'touched', string.format('%.17g', now))
  return {verdict, 0, string.format('%.17g', spend), inflight, string.format('%.17g', tat),
    string.format('%.17g', rpdday), rpdn, string.format('%.17g', tmin), tcur, tprev}
end

if maxb >= 0 and spend >= maxb then return reply(1) end
local reserve = math.max(est, avg)
if maxb >= 0 and inflight > 0 and spend + reserved + reserve > maxb then return reply(2) end
local newtat = tat
if rpm >= 0 then
  if rpm <= 0 then return reply(3) end
  newtat = math.max(tat, now) + 60000 / rpm
  if newtat - 60000 > now then return reply(3) end
end
if rpd >= 0 and rpdn >= rpd then return reply(4) end
if tpm >= 0 then
  local used = tcur + math.floor(tprev * (1 - (now - tmin) / 60000))
  if used > 0 and used + prompt > tpm then return reply(5) end
end
if rpm >= 0 then tat = newtat end
rpdn = rpdn + 1
if tpm >= 0 then tcur = tcur + prompt end
inflight = inflight + 1
reserved = reserved + reserve
return reply(0)
