import type { Client } from 'aedes'

/** What mqtt-packet 9's parser emits for an MQTT 3.x PUBACK (packet.js + _parseConfirmation). */
interface Puback {
  cmd: 'puback'
  retain: false
  qos: 0
  dup: false
  length: 2
  topic: null
  payload: null
  messageId: number
}

/** The parts of mqtt-packet's Parser that Aedes 1.2 keeps on its Client (lib/client.js `_parser`). */
interface Parser {
  parse(buf: Buffer): number
  emit(event: 'packet', packet: Puback): boolean
  /** Bytes received but not yet parsed (a `bl` BufferList). */
  _list: { length: number }
  _stateCounter: number
  error: Error | null
  /** Set by Aedes's Client constructor: `this._parser.client = this`. */
  client: { version: number | null }
}

/** PUBACK, reserved flags 0 [MQTT-3.4.1], remaining length 2. */
const PUBACK = 0x40
const REMAINING = 0x02

/**
 * Every delivery at QoS 1 comes back as a 4-byte PUBACK, and mqtt-packet parses each through its
 * general state machine (a BufferList, five states, a dozen debug calls): in the S1 fan-out bench
 * that parse was a third of the broker's busy time. At a packet boundary, a run of MQTT 3.x
 * PUBACKs at the start of a read is decoded here into the same packet objects, in order, through
 * the same 'packet' listeners; whatever follows (any other packet, a partial one) goes to the parser.
 * Call from preConnect.
 */
export function fastPubacks(client: Client): void {
  const parser = (client as unknown as { _parser?: Parser })._parser
  if (
    !parser ||
    parser.parse !== Object.getPrototypeOf(parser).parse ||
    parser.client !== (client as unknown) ||
    typeof parser._stateCounter !== 'number' ||
    typeof parser._list?.length !== 'number'
  ) {
    throw new Error('aedes client parser changed shape: broker/aedes/puback-fast-path.ts needs updating')
  }
  parser.parse = parseWithPubacks
}

/** One function for every parser (a closure per connection was 176 bytes of each idle one, bench S3). */
function parseWithPubacks(this: Parser, buf: Buffer): number {
  const parse = Object.getPrototypeOf(this).parse as Parser['parse']
  const version = this.client.version
  if (this._list.length !== 0 || this._stateCounter !== 0 || this.error || (version !== 3 && version !== 4)) {
    return parse.call(this, buf)
  }
  let at = 0
  while (at + 4 <= buf.length && buf[at] === PUBACK && buf[at + 1] === REMAINING) {
    const messageId = ((buf[at + 2] as number) << 8) | (buf[at + 3] as number)
    at += 4
    this.emit('packet', { cmd: 'puback', retain: false, qos: 0, dup: false, length: 2, topic: null, payload: null, messageId })
  }
  if (at === buf.length) return 0
  return parse.call(this, at === 0 ? buf : buf.subarray(at))
}
