import type { PublishPacket } from 'aedes'
import { parseTopic } from '../core/topics.js'
import type { BrokerOptions } from './context.js'

/** Wills recorded at CONNECT, so the publish hook knows a will from an ordinary PUBLISH. */
const wills = new WeakSet<object>()

export function noteWill(will: object): void {
  wills.add(will)
}

/**
 * Whether a publish is a will: the will of a connection that just died (recorded at CONNECT),
 * or one Aedes reads back from the persistence for a broker that died (it carries the
 * `brokerId` and `clientId` the persistence stamped on it, and usually no client).
 */
export function isWill(client: unknown, packet: PublishPacket): boolean {
  return client === null || wills.has(packet) || ('brokerId' in packet && 'clientId' in packet)
}

/**
 * What a will may be (issue 6 item 2). A will is published by the broker after its author is gone,
 * with no identity to stamp `from` with, no membership to check and, after a crash, no client at
 * all: chat, events, inbox and presence topics, anything under rooms/, users/ and presence/, and
 * every `$` topic are refused. Generic topics follow the generic ACL, which is all-or-nothing.
 */
export function willAllowed(options: Pick<BrokerOptions, 'genericTopics'>, topic: string): boolean {
  if (topic.charCodeAt(0) === 36) return false
  return options.genericTopics && parseTopic(topic).kind === 'generic'
}
