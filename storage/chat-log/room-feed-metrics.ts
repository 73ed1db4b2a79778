import { Counter, Gauge, type Registry } from 'prom-client'

/** What a node's live room feed reports (SPEC §10: a node is fed only the rooms it serves). */
export interface RoomFeedMetrics {
  followedRooms: Gauge
  received: Counter
  gapsFilled: Counter
  gapsGivenUp: Counter
  diverged: Counter
}

/**
 * The feed's metrics, in `registry` when given. A feed is built with the chat log, before the
 * node's registry is known to it: `registerRoomFeedMetrics` adds them to the registry later.
 */
export function createRoomFeedMetrics(registry?: Registry): RoomFeedMetrics {
  const registers = registry ? [registry] : []
  return {
    followedRooms: new Gauge({
      name: 'mqchat_feed_followed_rooms',
      help: 'Rooms this node follows (has a connected member of): their live feeds are subscribed',
      registers
    }),
    received: new Counter({
      name: 'mqchat_feed_entries_received_total',
      help: 'Chat log entries this node received on its live room feeds (sharded pub/sub)',
      registers
    }),
    gapsFilled: new Counter({
      name: 'mqchat_feed_gaps_filled_total',
      help: 'Skipped seqs of a live room feed (or a reconnect) read back from the room stream',
      registers
    }),
    gapsGivenUp: new Counter({
      name: 'mqchat_feed_gaps_given_up_total',
      help: 'Gaps of a live room feed the room stream no longer held (trimmed): those seqs were not handed out live',
      registers
    }),
    diverged: new Counter({
      name: 'mqchat_feed_history_diverged_total',
      help: 'Rooms whose stream, after a lost feed, held another entry at the last seq handed out live (a failover lost published writes)',
      registers
    })
  }
}

export function registerRoomFeedMetrics(metrics: RoomFeedMetrics, registry: Registry): void {
  for (const metric of Object.values(metrics)) registry.registerMetric(metric)
}
