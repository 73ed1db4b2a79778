import calculateSlot from 'cluster-key-slot'

const SLOTS = 16_384

/** Every Redis key and channel of one room: all in one hash slot, so a send is one single-slot script. */
export interface RoomKeys {
  /** The room's seq counter. */
  seq: string
  /** Idempotency: id -> "seq:sender" for the newest ids of the room. */
  ids: string
  /** Idempotency: the generation of ids before `ids` (the window is one to two generations). */
  idsPrevious: string
  /** The room's stream, entry ids `{seq}-0`, capped. */
  stream: string
  /** Tombstones of deleted entries (sorted set, score = seq). */
  tombstones: string
  /** Edits of messages still in the stream (sorted set, score = the edited message's seq). */
  edits: string
  /** Sharded pub/sub channel of the room's live feed (SSUBSCRIBE/SPUBLISH); payload = the envelope JSON. */
  feed: string
  /** The partition stream the persisters consume, in the same slot. */
  log: string
}

/**
 * Where a room's keys live (SPEC §10). A room belongs to one of `partitions` partitions by its
 * own hash slot; every key of the partition carries the partition's hash tag, chosen so that
 * partition i's slot lies in the i-th of `partitions` equal slot ranges: Redis Cluster spreads
 * slot ranges evenly over its masters, so partitions (and rooms) spread evenly too.
 * The number of partitions is fixed for the life of a deployment: it decides every key's name.
 */
export class RedisKeyspace {
  private readonly tags: string[]

  constructor(
    readonly prefix: string,
    readonly partitions: number
  ) {
    this.tags = Array.from({ length: partitions }, (_, i) => tagInRange(i, partitions))
  }

  partitionOf(room: string): number {
    return Math.floor((calculateSlot(room) * this.partitions) / SLOTS)
  }

  /** `prefix{tag}:` of a partition: every key below it lands in the partition's slot. */
  partitionBase(partition: number): string {
    return `${this.prefix}{${this.tags[partition]}}:`
  }

  log(partition: number): string {
    return `${this.partitionBase(partition)}log`
  }

  room(room: string): RoomKeys {
    const base = this.partitionBase(this.partitionOf(room))
    return {
      seq: `${base}seq:${room}`,
      ids: `${base}ids:${room}`,
      idsPrevious: `${base}ids-old:${room}`,
      stream: `${base}room:${room}`,
      tombstones: `${base}tomb:${room}`,
      edits: `${base}edits:${room}`,
      feed: `${base}feed:${room}`,
      log: `${base}log`
    }
  }
}

/** The first tag `p<i>.<k>` whose slot lies in the i-th of n equal slot ranges. */
function tagInRange(i: number, n: number): string {
  const low = Math.floor((i * SLOTS) / n)
  const high = Math.floor(((i + 1) * SLOTS) / n)
  for (let k = 0; ; k++) {
    const tag = `p${i}.${k}`
    const slot = calculateSlot(tag)
    if (slot >= low && slot < high) return tag
  }
}
