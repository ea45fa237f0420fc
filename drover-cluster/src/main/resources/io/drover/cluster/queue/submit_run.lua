-- Submits a run in one step: its record, its first event (an entry of one event, as write_run writes them), its place in the index and in the active set, so a crash
-- can never leave a run that no controller will start; then wakes the controllers (an entry naming the run on the
-- wake stream they wait on), so the leader takes it at once. All five keys share the {runs} slot.
-- KEYS[1] the run's record, KEYS[2] its event stream, KEYS[3] the index of runs (zset), KEYS[4] the active set,
-- KEYS[5] the controllers' wake stream
-- ARGV[1] the run id, ARGV[2] now (ms), ARGV[3] now (ISO-8601), ARGV[4] the event stream's cap, ARGV[5..] the
-- record's fields and values
redis.call('HSET', KEYS[1], unpack(ARGV, 5, #ARGV))
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'events', cjson.encode({ { run = ARGV[1], type = 'run', state = 'SUBMITTED', at = ARGV[3] } }))
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
redis.call('XADD', KEYS[5], 'MAXLEN', '~', 100, '*', 'run', ARGV[1])
return 1
