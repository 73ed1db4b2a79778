import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildAsyncApiDocument } from '../../api/openapi/asyncapi-document.js'
import { ERROR_STATUS } from '../../core/errors.js'

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8')
const section = doc.slice(doc.indexOf('## Rejection reasons'), doc.indexOf('## REST API'))
const rows = [...section.matchAll(/^\| `([a-z_]+)` \| (\d+|—) \|/gm)].map(([, code, status]) => [code, status] as const)

describe('docs/protocol.md', () => {
  it('lists every error code with the HTTP status the API answers with', () => {
    const documented = Object.fromEntries(rows.filter(([, status]) => status !== '—'))
    expect(documented).toEqual(Object.fromEntries(Object.entries(ERROR_STATUS).map(([code, status]) => [code, String(status)])))
  })
})

type Channel = {
  address: string
  'x-mqchat-publish': string
  'x-mqchat-subscribe': string
  messages: Record<string, { payload: JsonSchema }>
}
type JsonSchema = { oneOf?: JsonSchema[]; anyOf?: JsonSchema[]; properties?: Record<string, { const?: string; enum?: string[] }> }

const asyncApi = buildAsyncApiDocument('test') as {
  channels: Record<string, Channel>
  operations: Record<string, { channel: { $ref: string }; bindings: { mqtt: { qos: number; retain: boolean } } }>
}
const sectionOf = (title: string) => {
  const start = doc.indexOf(`\n## ${title}`)
  return doc.slice(start, doc.indexOf('\n## ', start + 1))
}
/** The first column of a table's rows (after its header), without backticks. */
const firstColumn = (text: string) =>
  [...text.slice(text.indexOf('|---')).matchAll(/^\| `([^`]+)` \|/gm)].map(([, value]) => value as string)
/** The `type` constants of a union payload. */
const typesOf = (schema: JsonSchema) => (schema.oneOf ?? schema.anyOf ?? [schema]).map((option) => option.properties?.type?.const)
const channelAt = (address: string) => Object.values(asyncApi.channels).find((channel) => channel.address === address) as Channel

describe('docs/protocol.md and GET /v1/asyncapi.json', () => {
  it('name the same topics, with the same publishers, subscribers and QoS', () => {
    const rows = [...sectionOf('Topics').matchAll(/^\| `([^`]+)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \|/gm)].map(
      ([, topic, publish, subscribe, qos]) => ({
        topic,
        publish: publish?.trim(),
        subscribe: subscribe?.trim(),
        qos: qos?.trim()
      })
    )
    const documented = Object.entries(asyncApi.channels).map(([key, channel]) => {
      const receive = Object.values(asyncApi.operations).find((op) => op.channel.$ref === `#/channels/${key}`)?.bindings.mqtt
      return {
        topic: channel.address,
        publish: channel['x-mqchat-publish'],
        subscribe: channel['x-mqchat-subscribe'],
        qos: `${receive?.qos}${receive?.retain ? ', retained' : ''}`
      }
    })
    expect(rows.length).toBeGreaterThanOrEqual(6)
    expect(rows).toEqual(documented)
  })

  it('name the same rejection reasons', () => {
    const notice = channelAt('users/{userId}/inbox').messages.inboxNotice?.payload as JsonSchema
    const rejected = (notice.oneOf ?? notice.anyOf ?? []).find((option) => option.properties?.type?.const === 'rejected')
    expect(new Set(rejected?.properties?.reason?.enum)).toEqual(new Set(firstColumn(sectionOf('Rejection reasons'))))
  })

  it('name the same inbox notices and room events', () => {
    const inbox = channelAt('users/{userId}/inbox').messages.inboxNotice?.payload as JsonSchema
    expect(firstColumn(sectionOf('Inbox notices'))).toEqual(typesOf(inbox))
    const events = channelAt('rooms/{roomId}/events').messages.roomEvent?.payload as JsonSchema
    expect(firstColumn(sectionOf('Room events'))).toEqual(typesOf(events))
  })
})
