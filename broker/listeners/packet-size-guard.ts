import { Readable } from 'node:stream'

/** Why a guarded stream was destroyed. */
export class PacketTooLarge extends Error {
  constructor(
    readonly announced: number,
    readonly limit: number
  ) {
    super(`MQTT packet of ${announced} bytes exceeds the limit of ${limit}`)
    this.name = 'PacketTooLarge'
  }
}

export class MalformedLength extends Error {
  constructor() {
    super('MQTT remaining length longer than 4 bytes')
    this.name = 'MalformedLength'
  }
}

/**
 * Follows the MQTT framing of a byte stream without buffering it: for each packet it reads the
 * fixed header's remaining length ([MQTT-2.2.3]: 1-4 bytes, 7 bits each) as the bytes arrive,
 * then skips that many bytes. `feed` returns an error as soon as a header announces more than
 * `limit` bytes, so a 150 MB CONNECT is refused after its first 5 bytes, before anyone buffers it.
 */
export class PacketFramer {
  /** Bytes of the current packet's body still to skip; -1 while reading a fixed header. */
  private skip = -1
  private length = 0
  private multiplier = 1
  private lengthBytes = 0
  private expectType = true

  constructor(private readonly limit: number) {}

  feed(chunk: Uint8Array): Error | null {
    let i = 0
    while (i < chunk.length) {
      if (this.skip > 0) {
        const take = Math.min(this.skip, chunk.length - i)
        this.skip -= take
        i += take
        continue
      }
      if (this.skip === 0) this.startHeader()
      const byte = chunk[i++] as number
      if (this.expectType) {
        this.expectType = false
        continue
      }
      this.length += (byte & 0x7f) * this.multiplier
      this.multiplier *= 128
      this.lengthBytes += 1
      if (byte & 0x80) {
        if (this.lengthBytes === 4) return new MalformedLength()
        continue
      }
      // header complete: type byte + length bytes, then the body
      const total = 1 + this.lengthBytes + this.length
      if (total > this.limit) return new PacketTooLarge(total, this.limit)
      this.skip = this.length
    }
    return null
  }

  private startHeader(): void {
    this.skip = -1
    this.length = 0
    this.multiplier = 1
    this.lengthBytes = 0
    this.expectType = true
  }
}

/** Each guarded stream's framer, on the stream itself: a WeakMap entry would cost more. */
const framerOf = Symbol('mqchat.packetFramer')
type Guarded = Readable & { [framerOf]?: PacketFramer }

/**
 * Returns a guard that checks every chunk a stream receives against `limit` before it reaches the
 * stream's buffer (where Aedes's parser would gather the whole packet) and destroys the stream with
 * the error at the first packet too large. It replaces the instance's `push`, through which Node
 * hands received bytes to every Readable: sockets, TLS sockets and ws's WebSocket stream alike. An
 * extra Transform per connection would cost memory and a copy per chunk on every connection
 * (SPEC §9 S3); `test/integration/listener-limits.test.ts` shows the guard holds on each transport.
 * One `push` for every stream of the guard, the stream's framer beside it: a closure, a bound push
 * and a callback per stream were 224 bytes of every idle connection (bench S3 heap snapshot).
 */
export function packetSizeGuard(limit: number, onRefused?: (error: Error) => void): <S extends Readable>(stream: S) => S {
  function guardedPush(this: Guarded, chunk: unknown, encoding?: BufferEncoding): boolean {
    const framer = this[framerOf]
    if (chunk !== null && !this.destroyed && framer) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : (chunk as Uint8Array)
      const error = framer.feed(bytes)
      if (error) {
        onRefused?.(error)
        this.destroy(error)
        return false
      }
    }
    return Readable.prototype.push.call(this, chunk, encoding)
  }
  return (stream) => {
    if (stream.push !== Readable.prototype.push) throw new Error('stream.push is already replaced: packet-size-guard needs updating')
    const guarded = stream as Guarded
    guarded[framerOf] = new PacketFramer(limit)
    guarded.push = guardedPush
    return stream
  }
}
