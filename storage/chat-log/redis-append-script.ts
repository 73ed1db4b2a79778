import type { RoomKeys } from './redis-keyspace.js'

/** Tombstones and edits of seqs older than (newest seq - room stream length) are dropped every this many appends of a room. */
export const TRIM_EVERY = 1000

/** The KEYS of the append script, in order: all of one room, so all in one slot. */
export function appendKeys(keys: RoomKeys): string[] {
  return [keys.seq, keys.ids, keys.idsPrevious, keys.stream, keys.tombstones, keys.edits, keys.log, keys.feed]
}

/**
 * Dedupe, sequence, append and publish in one atomic single-slot script.
 * KEYS: 1 seq counter, 2 id -> "seq:sender" hash (newest generation), 3 the generation before it,
 *       4 room stream, 5 tombstones (sorted set: member = tombstone JSON, score = seq),
 *       6 edits (sorted set: score = the edited message's seq, member = the edit's seq),
 *       7 the partition stream the persisters consume, 8 the room's sharded pub/sub channel
 * ARGV: 1 message id, 2 payload head (up to `"seq":`), 3 payload tail, 4 room, 5 room stream length, 6 sender,
 *       7 type, 8 target seq (relations) or '', 9 a delete's tombstone of the target for when the stream no longer holds it, or '',
 *       10 idempotency window (ids per generation), 11 trim interval (appends of the room)
 * Returns {seq, payload, status}: status 0 appended, 1 the sender's own duplicate, 2 the id is another
 * sender's (payload false: never handed out), 3 a relation whose target is already deleted (checked
 * here too: the pipeline's check and the append are not atomic); payload is false when a duplicate's
 * entry was trimmed.
 * Idempotency is kept in two generations: when the newest reaches the window it becomes the
 * previous one (the older is dropped), so an id is remembered for the last `window` to 2 x `window`
 * messages of its room. Ids stored before senders were recorded ("seq" alone) take the sender from
 * the entry, if still there.
 * A delete removes its target's and the target's edits' stream entries (XADD cannot replace one)
 * and keeps their tombstones in KEYS[5]; a tombstone is the codec's `tombstoneOf`: the envelope
 * up to `,"body":` (id, room, seq, from, ts and type hold no such text), then an empty body and
 * `"deleted":true` (the message) or its `"target"` (an edit).
 * Only a new append is added to the partition stream and published on the room's channel, with
 * exactly the stored payload.
 */
export const APPEND_SCRIPT = `
local function tombstone(s)
  local found = redis.call('ZRANGE', KEYS[5], s, s, 'BYSCORE', 'LIMIT', 0, 1)
  return found[1]
end
local seen = redis.call('HGET', KEYS[2], ARGV[1])
if not seen then seen = redis.call('HGET', KEYS[3], ARGV[1]) end
if seen then
  local colon = string.find(seen, ':', 1, true)
  local seq = seen
  local sender = false
  if colon then
    seq = string.sub(seen, 1, colon - 1)
    sender = string.sub(seen, colon + 1)
  end
  local entry = redis.call('XRANGE', KEYS[4], seq .. '-0', seq .. '-0')
  local payload = false
  if entry[1] then payload = entry[1][2][2] else payload = tombstone(seq) or false end
  if not sender and payload then
    local ok, decoded = pcall(cjson.decode, payload)
    if ok then sender = decoded['from'] end
  end
  if sender and sender ~= ARGV[6] then return {tonumber(seq), false, 2} end
  return {tonumber(seq), payload, 1}
end
if ARGV[8] ~= '' and tombstone(ARGV[8]) then return {0, false, 3} end
local seq = redis.call('INCR', KEYS[1])
local payload = ARGV[2] .. seq .. ARGV[3]
redis.call('HSET', KEYS[2], ARGV[1], seq .. ':' .. ARGV[6])
if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[10]) then
  -- UNLINK frees the dropped generation in the background: no pause of the window's size
  redis.call('UNLINK', KEYS[3])
  redis.call('RENAME', KEYS[2], KEYS[3])
end
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[5], seq .. '-0', 'p', payload)
redis.call('XADD', KEYS[7], '*', 'p', payload)
if ARGV[7] == 'edit' then redis.call('ZADD', KEYS[6], ARGV[8], seq) end
if ARGV[7] == 'delete' then
  local seqs = redis.call('ZRANGE', KEYS[6], ARGV[8], ARGV[8], 'BYSCORE')
  table.insert(seqs, ARGV[8])
  for _, s in ipairs(seqs) do
    local gone = redis.call('XRANGE', KEYS[4], s .. '-0', s .. '-0')
    if gone[1] then
      local old = gone[1][2][2]
      local at = string.find(old, ',"body":', 1, true)
      local rest = ',"body":"","target":' .. ARGV[8] .. '}'
      if s == ARGV[8] then rest = ',"body":"","deleted":true}' end
      redis.call('ZADD', KEYS[5], s, string.sub(old, 1, at - 1) .. rest)
      redis.call('XDEL', KEYS[4], s .. '-0')
    elseif s == ARGV[8] and ARGV[9] ~= '' then
      redis.call('ZADD', KEYS[5], s, ARGV[9])
    end
  end
  redis.call('ZREMRANGEBYSCORE', KEYS[6], ARGV[8], ARGV[8])
end
if seq % tonumber(ARGV[11]) == 0 then
  local floor = seq - tonumber(ARGV[5])
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. floor)
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', '(' .. floor)
end
redis.call('SPUBLISH', KEYS[8], payload)
return {seq, payload, 0}
`
