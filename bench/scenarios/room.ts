import type { ClientSpec, GeneratorRequest, PublishResult } from '../generator-protocol.js'
import type { LoadGenerator } from '../load-generator.js'
import type { ScenarioContext } from './scenario.js'

/** Unacknowledged messages a publisher allows itself, the same against every target. */
export const PUBLISH_WINDOW = 16

/**
 * S1's room: `subscribers` + `publishers` users, all members of one room, each with one QoS 1
 * connection, spread over the generator processes; `shape` adjusts each client (S1-offline's sessions).
 * Returns the room's chat topic.
 */
export async function openRoom(
  context: ScenarioContext,
  prefix: string,
  shape: (spec: ClientSpec, index: number) => ClientSpec = (spec) => spec
): Promise<string> {
  const { target, generator, options } = context
  const total = options.subscribers + options.publishers
  context.log(`${target.name}: ${total} users in one room`)
  const users = await target.users(total, prefix)
  const { topic } = await target.room(users)
  const specs: ClientSpec[] = users.map((login, index) =>
    shape(
      {
        url: target.mqttUrls[index % target.mqttUrls.length]!,
        clientId: login.clientId,
        username: login.username,
        password: login.password,
        role: index < options.subscribers ? 'subscriber' : 'publisher',
        topic
      },
      index
    )
  )
  const result = await generator.connect(specs)
  if (result.failed > 0) throw new Error(`${result.failed} of ${total} room clients failed to connect: ${result.firstError}`)
  return topic
}

export type PublishOptions = Omit<Extract<GeneratorRequest, { op: 'publish' }>, 'op' | 'idPrefix'>

/**
 * Every publisher in every generator process sends `count` messages; resolves when all are acknowledged
 * (or the deadline passed). Message ids are unique per round and process: mqchat drops a repeated id.
 */
export async function publishRound(generator: LoadGenerator, round: string, options: PublishOptions): Promise<PublishResult> {
  const runs = await Promise.all(
    generator.pids.map((_, worker) =>
      generator.call(worker, { op: 'publish', idPrefix: `${round}w${worker}`, ...options }, options.deadlineMs + 10_000)
    )
  )
  return runs.reduce((total, run) => ({
    sent: total.sent + run.sent,
    acked: total.acked + run.acked,
    failed: total.failed + run.failed,
    startUs: Math.min(total.startUs, run.startUs),
    endUs: Math.max(total.endUs, run.endUs)
  }))
}
