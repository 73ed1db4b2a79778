import { randomUUID } from 'node:crypto'
import { Cluster, Redis } from 'ioredis'
import type { Db } from 'mongodb'
import { RedisKeyspace } from '../../storage/chat-log/redis-keyspace.js'
import { sleep } from '../services/proc.js'

const BODY = 'bench history message '.padEnd(100, '.')
const INSERT_BATCH = 2_000
const SEND_CONCURRENCY = 16
const PERSIST_TIMEOUT_MS = 600_000

/**
 * Fills a room of the cluster target straight into its history collection (`messages`, the
 * shape MongoHistoryStore stores), seq 1..count: a million sends through the chat pipeline would
 * take longer than the measurement. The pages read back are the same documents either way. The
 * room's seq counter in the Redis chat log (RedisKeyspace's `seq` key) is then set to `count`: history
 * reads and unread counts stop at the room's last seq.
 */
export async function fillMongoHistory(
  db: Db,
  redis: { url: string; cluster: boolean; prefix: string; partitions: number },
  room: string,
  from: string,
  count: number
): Promise<void> {
  const messages = db.collection('messages')
  for (let first = 1; first <= count; first += INSERT_BATCH) {
    const last = Math.min(count, first + INSERT_BATCH - 1)
    const docs = []
    for (let seq = first; seq <= last; seq++) {
      docs.push({ id: randomUUID(), room, seq, from, ts: Date.now(), body: BODY, type: 'text' })
    }
    await messages.insertMany(docs, { ordered: false })
  }
  const options = { lazyConnect: true, maxRetriesPerRequest: 1 }
  const { hostname, port } = new URL(redis.url)
  const client = redis.cluster
    ? new Cluster([{ host: hostname, port: Number(port) }], { ...options, redisOptions: options })
    : new Redis(redis.url, options)
  await client.connect()
  try {
    await client.set(new RedisKeyspace(redis.prefix, redis.partitions).room(room).seq, String(count))
  } finally {
    client.disconnect()
  }
}

/**
 * Fills a room of the embedded target through `POST /v1/rooms/{id}/messages`, a few at a time: its
 * LevelDB is held open by the running node, so nothing else can write it. Waits until history has
 * the last one (the persister stores asynchronously).
 */
export async function fillThroughRest(httpUrl: string, token: string, room: string, count: number): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < count) {
      next++
      const response = await fetch(`${httpUrl}/v1/rooms/${room}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ body: BODY })
      })
      const text = await response.text()
      if (!response.ok) throw new Error(`POST /v1/rooms/${room}/messages: ${response.status} ${text.slice(0, 300)}`)
    }
  }
  await Promise.all(Array.from({ length: SEND_CONCURRENCY }, worker))
  const deadline = Date.now() + PERSIST_TIMEOUT_MS
  while ((await newestSeq(httpUrl, token, room)) < count) {
    if (Date.now() > deadline) throw new Error(`history did not reach seq ${count} in ${PERSIST_TIMEOUT_MS} ms`)
    await sleep(200)
  }
}

async function newestSeq(httpUrl: string, token: string, room: string): Promise<number> {
  const response = await fetch(`${httpUrl}/v1/rooms/${room}/messages?limit=1`, { headers: { authorization: `Bearer ${token}` } })
  const text = await response.text()
  if (!response.ok) throw new Error(`GET /v1/rooms/${room}/messages: ${response.status} ${text.slice(0, 300)}`)
  const page = JSON.parse(text) as { messages: { seq: number }[] }
  return page.messages[0]?.seq ?? 0
}
