import { jsonSchema } from './json-schema.js'
import { type PayloadDoc, TOPIC_DOCS, type TopicDoc } from './topic-docs.js'

const PARAMETERS: Record<string, string> = {
  roomId: 'a room id, `[A-Za-z0-9_-]{1,64}`',
  userId: 'a user id, `[A-Za-z0-9_-]{1,64}`'
}

function message(payload: PayloadDoc, output: boolean) {
  return {
    name: payload.name,
    summary: payload.summary,
    contentType: 'application/json',
    payload: jsonSchema(payload.schema, output ? 'output' : 'input')
  }
}

function channel(topic: TopicDoc) {
  const parameters = Object.fromEntries(
    [...topic.address.matchAll(/\{(\w+)\}/g)].map(([, name = '']) => [name, { description: PARAMETERS[name] ?? name }])
  )
  const messages: Record<string, unknown> = { [topic.receive.name]: message(topic.receive, true) }
  for (const payload of topic.send) messages[payload.name] = message(payload, false)
  return { address: topic.address, description: topic.description, parameters, messages }
}

function operation(key: string, action: 'send' | 'receive', who: string, topic: TopicDoc, payloads: PayloadDoc[]) {
  return {
    action,
    channel: { $ref: `#/channels/${key}` },
    summary: `${action === 'send' ? 'Publish' : 'Subscribe'}: ${who}`,
    messages: payloads.map((payload) => ({ $ref: `#/channels/${key}/messages/${payload.name}` })),
    bindings: { mqtt: { qos: topic.qos, retain: topic.retained, bindingVersion: '0.2.0' } }
  }
}

/**
 * The AsyncAPI 3 document of every MQTT topic, from a client's point of view: `send` is a
 * publish, `receive` a subscription. `x-mqchat-publish` and `x-mqchat-subscribe` say who may.
 */
export function buildAsyncApiDocument(version: string): Record<string, unknown> {
  const channels: Record<string, unknown> = {}
  const operations: Record<string, unknown> = {}
  for (const [key, topic] of Object.entries(TOPIC_DOCS)) {
    channels[key] = { ...channel(topic), 'x-mqchat-publish': topic.publish, 'x-mqchat-subscribe': topic.subscribe }
    if (topic.send.length > 0)
      operations[`publish${key[0]?.toUpperCase()}${key.slice(1)}`] = operation(key, 'send', topic.publish, topic, topic.send)
    operations[`subscribe${key[0]?.toUpperCase()}${key.slice(1)}`] = operation(key, 'receive', topic.subscribe, topic, [topic.receive])
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'mqchat MQTT topics',
      version,
      description:
        'Chat over MQTT 3.1.1/5: connect with a token from the REST API as the password. ' +
        'Operations are a client’s: `send` publishes, `receive` subscribes. Refused publishes are answered on the inbox.'
    },
    defaultContentType: 'application/json',
    servers: {
      mqtt: { host: 'localhost:1883', protocol: 'mqtt', description: 'MQTT over TCP (MQCHAT_MQTT_PORT)' },
      websocket: { host: 'localhost:8080', pathname: '/mqtt', protocol: 'ws', description: 'MQTT over WebSocket on the HTTP port' }
    },
    channels,
    operations
  }
}
