import mqtt from 'mqtt'
import { Chat } from './chat.js'
import { ChatError } from './errors.js'
import { type AuthAnswer, createRestClient } from './rest.js'
import { mqttUrlFor, newMessageId, tokenSubject } from './wire.js'

export interface ConnectOptions {
  /** The node's HTTP base URL (REST, and MQTT over WebSocket at `<url>/mqtt`; http -> ws, https -> wss). */
  url: string
  /** A user token from `register` / `login`. */
  token: string
  /** Another MQTT endpoint: `mqtt://`, `mqtts://`, `ws://` or `wss://`. */
  mqttUrl?: string
  /** How long the first connection may take. Default 10 s. */
  connectTimeoutMs?: number
  /** Pause between reconnect attempts. Default 1 s. */
  reconnectPeriodMs?: number
}

/** Connects over MQTT (clean session: what is missed while away comes from history) and follows the inbox and presence. */
export async function connect(options: ConnectOptions): Promise<Chat> {
  const rest = createRestClient({ url: options.url, token: options.token })
  const userId = tokenSubject(options.token)
  const mqttUrl = options.mqttUrl ?? mqttUrlFor(options.url)
  let client: mqtt.MqttClient
  try {
    client = await mqtt.connectAsync(mqttUrl, {
      clientId: `sdk_${newMessageId()}`,
      username: userId ?? 'mqchat-sdk',
      password: options.token,
      clean: true,
      // the Chat subscribes again itself after every reconnect, then fills from history
      resubscribe: false,
      reconnectPeriod: options.reconnectPeriodMs ?? 1000,
      connectTimeout: options.connectTimeoutMs ?? 10_000
    })
  } catch (error) {
    const code = (error as { code?: unknown }).code
    const refused = code === 4 || code === 5
    throw new ChatError(refused ? 'unauthenticated' : 'unreachable', `cannot connect to ${mqttUrl}: ${(error as Error).message}`)
  }
  const chat = new Chat(client, rest, userId)
  try {
    await chat.subscribeSession()
  } catch (error) {
    await client.endAsync(true)
    throw new ChatError('mqtt', `cannot subscribe on ${mqttUrl}: ${(error as Error).message}`)
  }
  return chat
}

/** Registers a user over REST; the answer's `token` is what `connect` takes. */
export function register(input: { url: string; username: string; password: string; displayName?: string }): Promise<AuthAnswer> {
  return createRestClient({ url: input.url }).register(input.username, input.password, input.displayName)
}

/** Logs a user in over REST; the answer's `token` is what `connect` takes. */
export function login(input: { url: string; username: string; password: string }): Promise<AuthAnswer> {
  return createRestClient({ url: input.url }).login(input.username, input.password)
}
