-- Account a finished request on a key's counters (KEYS[1]), by the rules of Tracker.Finish.
-- ARGV: now, budget duration, period start, cost, actual minus estimated tokens, tpm (-1 none),
--       UTC minute start
local k = KEYS[1]
local now, dur, pstart = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local cost, delta, tpm, minute = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])

local f = redis.call('HMGET', k, 'dur', 'pstart', 'spend', 'inflight', 'reserved', 'avg',
  'tpmmin', 'tpmcur', 'tpmprev')
local spend = tonumber(f[3]) or 0
if f[1] == dur and f[2] ~= pstart then spend = 0 end
spend = spend + cost
local inflight, reserved, avg = tonumber(f[4]) or 0, tonumber(f[5]) or 0, tonumber(f[6]) or 0
if inflight > 0 then
  reserved = reserved - reserved / inflight
  inflight = inflight - 1
end
if inflight == 0 then reserved = 0 end
if cost > 0 then
  if avg == 0 then avg = cost else avg = 0.8 * avg + 0.2 * cost end
end
redis.call('HSET', k, 'dur', dur, 'pstart', pstart, 'spend', string.format('%.17g', spend),
  'inflight', inflight, 'reserved', string.format('%.17g', reserved), 'avg', string.format('%.17g', avg),
  'touched', string.format('%.17g', now))
if tpm >= 0 then
  local tmin, tcur, tprev = tonumber(f[7]) or 0, tonumber(f[8]) or 0, tonumber(f[9]) or 0
  if tmin ~= minute then
    if minute - tmin == 60000 then tprev, tcur = tcur, 0 else tprev, tcur = 0, 0 end
    tmin = minute
  end
  tcur = math.max(tcur + delta, 0)
  redis.call('HSET', k, 'tpmmin', string.format('%.17g', tmin), 'tpmcur', tcur, 'tpmprev', tprev)
end
return string.format('%.17g', spend)
