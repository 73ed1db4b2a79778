import type { ClientSpec } from '../generator-protocol.js'
import type { ScenarioContext } from './scenario.js'

const ROOM_CONCURRENCY = 8
/** Set-up connections, not measured: one refused or timed out (a busy cluster) is tried again. */
const SETUP_ATTEMPTS = 3

/** Where a room's publisher and subscriber connect: an index into the target's `mqttUrls`. */
export type Placement = (room: number, role: 'publisher' | 'subscriber') => number

/** Clients spread round-robin over the nodes, a room's two members on different nodes where there are several. */
export const spreadOverNodes: Placement = (room, role) => room + (role === 'subscriber' ? 1 : 0)

/**
 * S2's shape: `count` rooms of 2 members each, one publisher and one subscriber (QoS 1) per room,
 * connected where `place` says. Returns the room count actually opened.
 */
export async function openPairRooms(
  context: ScenarioContext,
  count: number,
  prefix: string,
  place = spreadOverNodes
): Promise<ClientSpec[]> {
  const { target, generator } = context
  context.log(`${target.name}: registering ${2 * count} users for ${count} rooms of 2`)
  const users = await target.users(2 * count, prefix)
  const topics: string[] = new Array(count)
  let next = 0
  const worker = async () => {
    while (next < count) {
      const room = next++
      topics[room] = (await target.room([users[2 * room]!, users[2 * room + 1]!])).topic
    }
  }
  await Promise.all(Array.from({ length: Math.min(ROOM_CONCURRENCY, count) }, worker))
  const urls = target.mqttUrls
  const specs: ClientSpec[] = users.map((login, index) => {
    const room = Math.floor(index / 2)
    const role = index % 2 === 0 ? 'publisher' : 'subscriber'
    return {
      url: urls[place(room, role) % urls.length]!,
      clientId: login.clientId,
      username: login.username,
      password: login.password,
      role,
      topic: topics[room]
    }
  })
  context.log(`${target.name}: connecting ${specs.length} room clients`)
  const result = await generator.connect(specs, 60, 600_000, SETUP_ATTEMPTS)
  if (result.failed > 0) throw new Error(`${result.failed} of ${specs.length} room clients failed to connect: ${result.firstError}`)
  if (result.retries > 0) context.log(`${target.name}: ${result.retries} room clients had to connect again`)
  return specs
}
