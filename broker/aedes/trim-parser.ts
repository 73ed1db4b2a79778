import { createRequire } from 'node:module'
import type { Client } from 'aedes'

/** A `bl` BufferList: what mqtt-packet's parser reads and consumes its unparsed bytes through. */
interface ByteList {
  length: number
}

/** The parts of mqtt-packet 9's Parser (parser.js) that are trimmed here. */
interface TrimmableParser {
  /** Set to the whole CONNECT packet by `_parseConnect`; only these two fields are read after it. */
  settings: { protocolVersion?: number; bridgeMode?: boolean }
  _list: ByteList
}

// the `bl` that mqtt-packet itself loads (Aedes's dependency, not ours), so the list is the class its parser expects
const aedesRequire = createRequire(createRequire(import.meta.url).resolve('aedes'))
const packetRequire = createRequire(aedesRequire.resolve('mqtt-packet'))
const { BufferList } = packetRequire('bl') as { BufferList: new () => ByteList }

/**
 * What mqtt-packet keeps per connection for as long as it lives, trimmed after CONNECT (bench S3
 * heap snapshot, issue 11 item 3):
 * - `settings` holds the CONNECT packet: client id, username, will and the token (the password)
 *   stay in memory with every idle connection. Only the protocol version and bridge flag are kept.
 * - the unparsed bytes sit in a `bl` BufferListStream, a Duplex with two stream states and their
 *   listeners, used only as a plain BufferList: swapped for one while it is empty, so no received
 *   byte changes hands (a parse error recreates the stream, and the connection closes anyway).
 * Call from preConnect, after the CONNECT was parsed.
 */
export function trimParser(client: Client): void {
  const parser = (client as unknown as { _parser?: TrimmableParser })._parser
  if (!parser || typeof parser.settings !== 'object' || parser.settings === null || typeof parser._list?.length !== 'number') {
    throw new Error('aedes client parser changed shape: broker/aedes/trim-parser.ts needs updating')
  }
  const { protocolVersion, bridgeMode } = parser.settings
  parser.settings = { protocolVersion, bridgeMode }
  if (parser._list.length === 0) parser._list = new BufferList()
}
