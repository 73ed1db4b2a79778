import { join } from 'node:path'
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js'
import AsyncRedisPersistence from 'aedes-persistence-redis/asyncPersistence.js'
import { ClassicLevel } from 'classic-level'
import type { Redis } from 'ioredis'

/** Every forged payload carries it: nothing a subscriber receives or the store keeps may contain it. */
export const FORGED = 'FORGED'

/** A will as Aedes stores it for a client id (the stores stamp `clientId` and `brokerId` on it). */
export interface Will {
  clientId: string
  topic: string
  payload: string
  qos: 0 | 1
  retain: boolean
}

/**
 * The attack of issue 6 item 2: wills that, published by the broker after their author is gone,
 * would be a retained chat message "from" alice, an inbox invitation, a member_removed event and a
 * retained presence of alice. `clientIdOf` names the connection each one is stored for.
 */
export function forgedWills(roomId: string, alice: string, bob: string, clientIdOf = (kind: string) => `mallory-${kind}`): Will[] {
  const will = (kind: string, topic: string, body: Record<string, unknown>, retain = false): Will => ({
    clientId: clientIdOf(kind),
    topic,
    payload: JSON.stringify({ ...body, note: FORGED }),
    qos: 1,
    retain
  })
  return [
    will(
      'chat',
      `rooms/${roomId}/messages`,
      { id: 'forged-chat', room: roomId, seq: 999, from: alice, ts: 1, body: 'reset your password' },
      true
    ),
    will('invite', `users/${bob}/inbox`, { type: 'invited', room: roomId, by: alice }),
    will('removed', `rooms/${roomId}/events`, { type: 'member_removed', room: roomId, userId: bob, by: alice, ts: 1 }),
    will('presence', `presence/${alice}`, { status: 'offline', ts: 1 }, true)
  ]
}

/** The will and retained parts of an Aedes persistence (aedes-persistence-level and -redis alike). */
export interface WillStore {
  putWill(client: { id: string }, packet: Record<string, unknown>): Promise<void>
  getWill(client: { id: string }): Promise<Record<string, unknown> | null | undefined>
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<{ topic: string; payload: unknown }>
}

/** Stores `wills` as the wills of a broker `store` was set up for. */
export async function plantWills(store: WillStore, wills: Will[]): Promise<void> {
  for (const { clientId, topic, payload, qos, retain } of wills) {
    await store.putWill({ id: clientId }, { cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain, dup: false })
  }
}

/** The retained messages matching `patterns`, payloads as text. */
export async function retainedOf(store: WillStore, patterns: string[]): Promise<{ topic: string; payload: string }[]> {
  const found: { topic: string; payload: string }[] = []
  for await (const packet of store.createRetainedStreamCombi(patterns)) found.push({ topic: packet.topic, payload: String(packet.payload) })
  return found
}

/**
 * Opens a stopped dev node's session LevelDB as broker `brokerId` would (its wills are stamped with
 * that id), runs `use`, and closes it again.
 */
export async function withSessionLevel<T>(dataDir: string, brokerId: string, use: (store: WillStore) => Promise<T>): Promise<T> {
  const db = new ClassicLevel(join(dataDir, 'sessions'))
  await db.open()
  try {
    const store = new AsyncLevelPersistence(db) as unknown as AsyncLevelPersistence & WillStore
    await store.setup({ id: brokerId })
    return await use(store)
  } finally {
    await db.close()
  }
}

/**
 * The cluster's session store in Redis, as broker `brokerId` sees it. The persistence only needs
 * the broker's id and a bus for subscription broadcasts, which planting wills never uses.
 */
export async function redisSessions(redis: Redis, brokerId: string): Promise<WillStore> {
  const store = new AsyncRedisPersistence({ conn: redis }) as unknown as AsyncRedisPersistence & WillStore
  await store.setup({ id: brokerId, subscribe: (_topic: string, _listener: unknown, done: () => void) => done() })
  return store
}
