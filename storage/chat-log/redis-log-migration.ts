import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { RedisKeyspace } from './redis-keyspace.js'

export interface MigrationReport {
  rooms: number
  edits: number
  /** Entries of the old global stream handed to the partition streams. */
  logEntries: number
}

/**
 * Moves one room's keys of the layout before partitions into its partition (single Redis: no
 * slots to respect). KEYS: old seq, ids, stream, tombstone hash; new seq, ids, stream, tombstones.
 * A new key that already exists is never overwritten (the old one stays for an operator to look at).
 */
const MOVE_ROOM = `
for i = 1, 3 do
  if redis.call('EXISTS', KEYS[i]) == 1 and redis.call('EXISTS', KEYS[i + 4]) == 0 then redis.call('RENAME', KEYS[i], KEYS[i + 4]) end
end
if redis.call('TYPE', KEYS[4])['ok'] == 'hash' then
  local flat = redis.call('HGETALL', KEYS[4])
  for i = 1, #flat, 2 do redis.call('ZADD', KEYS[8], tonumber(flat[i]), flat[i + 1]) end
  redis.call('DEL', KEYS[4])
end
return 1
`

/** KEYS: an old set of one message's edit seqs, the room's new edits sorted set. ARGV: the edited seq. */
const MOVE_EDITS = `
for _, s in ipairs(redis.call('SMEMBERS', KEYS[1])) do redis.call('ZADD', KEYS[2], ARGV[1], s) end
redis.call('DEL', KEYS[1])
return 1
`

/**
 * Start-up upgrade of a single Redis written by a version before partitions (SPEC §10): every
 * room's `seq:`, `ids:`, `room:` and `tomb:` keys and `edits:<room>:<seq>` sets move under the
 * room's partition tag, so seqs continue where they were. The old global `log` stream is handed
 * over, not drained (no old worker needs to run): its entries, from the oldest one any group still
 * needs (a pending one, or the first not delivered), are re-added in order to their rooms'
 * partition streams, and each group is created on every partition stream just before the first
 * entry it needs is added; then the old stream is deleted. A group that had acknowledged entries
 * after its oldest pending one gets those again: consumers are at-least-once already (the
 * persisters' unique index stores each message once). A crash half-way copies again on the next
 * start (at-least-once too). Idempotent: a second run finds no old key. Nodes starting together
 * take turns (a lock key, refreshed while the run lasts), so the log is handed over once. Run it
 * with every node of the old version stopped: their appends would go to the old keys.
 */
export async function migrateLegacyChatLog(redis: Redis, keyspace: RedisKeyspace, lockMs = 30_000): Promise<MigrationReport> {
  const report: MigrationReport = { rooms: 0, edits: 0, logEntries: 0 }
  // set once a run finished: later starts skip the SCAN of the whole keyspace
  const done = layoutMarker(keyspace)
  // nodes of a deployment start together: one migrates, the others wait for its marker
  const lock = `${keyspace.prefix}chat-log-migrating`
  const token = randomUUID()
  for (;;) {
    if ((await redis.get(done)) === 'partitioned') return report
    if (await redis.set(lock, token, 'PX', lockMs, 'NX')) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  // a failed refresh is not reported here: the migration's next command on the same connection fails too
  const keepAlive = setInterval(() => void redis.pexpire(lock, lockMs).catch(() => undefined), lockMs / 3)
  try {
    await moveKeys(redis, keyspace, report)
    report.logEntries = await handOverLog(redis, keyspace)
    await redis.set(done, 'partitioned')
    return report
  } finally {
    clearInterval(keepAlive)
    if ((await redis.get(lock)) === token) await redis.del(lock)
  }
}

async function moveKeys(redis: Redis, keyspace: RedisKeyspace, report: MigrationReport): Promise<void> {
  const old = (kind: string, room: string) => `${keyspace.prefix}${kind}:${room}`
  await scan(redis, `${keyspace.prefix}seq:`, async (room) => {
    const keys = keyspace.room(room)
    const from = [old('seq', room), old('ids', room), old('room', room), old('tomb', room)]
    await redis.eval(MOVE_ROOM, 8, ...from, keys.seq, keys.ids, keys.stream, keys.tombstones)
    report.rooms += 1
  })
  await scan(redis, `${keyspace.prefix}edits:`, async (rest) => {
    const colon = rest.lastIndexOf(':')
    const target = rest.slice(colon + 1)
    if (colon < 1 || !/^\d+$/.test(target)) return
    await redis.eval(MOVE_EDITS, 2, `${keyspace.prefix}edits:${rest}`, keyspace.room(rest.slice(0, colon)).edits, target)
    report.edits += 1
  })
}

/** The key that says the chat log of this prefix is in the partitioned layout. */
export function layoutMarker(keyspace: RedisKeyspace): string {
  return `${keyspace.prefix}chat-log-layout`
}

/** Calls `each` with the rest of every key name that starts with `start`, SCAN batch by batch. */
async function scan(redis: Redis, start: string, each: (rest: string) => Promise<void>): Promise<void> {
  const pattern = `${start.replace(/[*?[\]\\]/g, '\\$&')}*`
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = next
    await Promise.all(keys.map((key) => each(key.slice(start.length))))
  } while (cursor !== '0')
}

async function handOverLog(redis: Redis, keyspace: RedisKeyspace): Promise<number> {
  const stream = `${keyspace.prefix}log`
  if ((await redis.type(stream)) !== 'stream') return 0
  const groups = ((await redis.call('XINFO', 'GROUPS', stream)) as unknown[][]).map((flat) => {
    const record = new Map<string, unknown>()
    for (let i = 0; i + 1 < flat.length; i += 2) record.set(String(flat[i]), flat[i + 1])
    return { name: String(record.get('name')), lastDelivered: String(record.get('last-delivered-id')) }
  })
  // the oldest entry each group still needs: its oldest pending one, or the one after its last delivered
  const needs: { name: string; from: string }[] = []
  for (const group of groups) {
    const pending = (await redis.xpending(stream, group.name)) as [number, string | null, ...unknown[]]
    needs.push({ name: group.name, from: pending[1] ?? `(${group.lastDelivered}` })
  }
  needs.sort((a, b) => compare(a.from, b.from))
  // a group is created on the partitions (at their end) just before the first entry it needs is copied
  const createUpTo = async (id: string | null) => {
    while (needs.length > 0 && (id === null || compare((needs[0] as { from: string }).from, id) <= 0)) {
      const { name } = needs.shift() as { name: string }
      for (let partition = 0; partition < keyspace.partitions; partition++) {
        await redis.xgroup('CREATE', keyspace.log(partition), name, '$', 'MKSTREAM').catch((error: Error) => {
          if (!error.message.includes('BUSYGROUP')) throw error
        })
      }
    }
  }
  let moved = 0
  for (let from = groups.length === 0 ? '-' : (needs[0] as { from: string }).from; ; ) {
    const entries = await redis.xrange(stream, from, '+', 'COUNT', 1000)
    if (entries.length === 0) break
    for (const [id, fields] of entries) {
      await createUpTo(id)
      const payload = fields[1] as string
      await redis.xadd(keyspace.room((JSON.parse(payload) as { room: string }).room).log, '*', 'p', payload)
    }
    moved += entries.length
    from = `(${(entries.at(-1) as [string, string[]])[0]}`
  }
  await createUpTo(null)
  await redis.del(stream)
  return moved
}

/** Orders stream ids, `(`-exclusive ids just after the id they name. */
function compare(a: string, b: string): number {
  const parse = (id: string) => {
    const exclusive = id.startsWith('(')
    const [ms = 0, sq = 0] = id.replace('(', '').split('-').map(Number)
    return [ms, sq + (exclusive ? 0.5 : 0)] as const
  }
  const [am, as] = parse(a)
  const [bm, bs] = parse(b)
  return am - bm || as - bs
}
