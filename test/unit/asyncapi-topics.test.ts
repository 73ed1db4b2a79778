import { describe, expect, it } from 'vitest'
import { buildAsyncApiDocument } from '../../api/openapi/asyncapi-document.js'
import { parseTopic, ROOM_CHANNELS, topics } from '../../core/topics.js'

const doc = buildAsyncApiDocument('test') as { channels: Record<string, { address: string }> }
const addresses = Object.values(doc.channels).map((channel) => channel.address)
const concrete = (address: string) => address.replace('{roomId}', 'r_1').replace('{userId}', 'alice')

describe('the AsyncAPI channels and the topic grammar of core/topics.ts', () => {
  it('describe every chat topic the grammar knows', () => {
    const known = [...ROOM_CHANNELS.map((channel) => `rooms/r_1/${channel}`), topics.inbox('alice'), topics.presence('alice')]
    expect(addresses.map(concrete).sort()).toEqual(known.sort())
  })

  it('are all chat topics of the grammar, none generic or invalid', () => {
    for (const address of addresses) expect(['room', 'inbox', 'presence'], address).toContain(parseTopic(concrete(address)).kind)
  })
})
