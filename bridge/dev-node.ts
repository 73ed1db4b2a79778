import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import AsyncLevelPersistence from 'aedes-persistence-level/asyncPersistence.js'
import { Registry } from 'prom-client'
import { createApp } from '../api/app.js'
import { createBroker } from '../broker/broker.js'
import { listenTcp } from '../broker/listeners/tcp.js'
import { LocalRateLimiter } from '../broker/rate-limiters/local-rate-limiter.js'
import type { Config } from '../core/config.js'
import type { Logger } from '../core/logger.js'
import { createTokenService } from '../core/tokens.js'
import { openEmbeddedStorage } from '../storage/embedded.js'
import { closeServer, listenHttp } from './http-server.js'
import { startPersister } from './persister.js'

export interface DevNode {
  mqttPort: number
  httpPort: number
  close(): Promise<void>
}

/** `mqchat dev`: broker, REST API, WebSocket and persister in one process on embedded storage. */
export async function startDevNode(config: Config, logger: Logger): Promise<DevNode> {
  const storage = await openEmbeddedStorage(config.MQCHAT_DATA_DIR, { sync: config.MQCHAT_FSYNC })
  const cleanup: (() => Promise<void>)[] = [() => storage.close()]
  const closeAll = async () => {
    for (const step of cleanup.reverse()) await step()
  }
  try {
    let ready = false
    const registry = new Registry()
    const tokens = createTokenService(
      config.MQCHAT_JWT_SECRET ?? (await embeddedSecret(config.MQCHAT_DATA_DIR)),
      config.MQCHAT_TOKEN_TTL_SECONDS
    )
    const persister = startPersister(
      { chatLog: storage.chatLog, history: storage.history, logger },
      { consumer: 'dev', batchSize: 500, blockMs: 1000, retryMs: 500 }
    )
    cleanup.push(() => persister.stop())
    const broker = await createBroker(
      {
        chatLog: storage.chatLog,
        accounts: storage.accounts,
        tokens,
        rateLimiter: new LocalRateLimiter({ perSecond: config.MQCHAT_RATE_LIMIT_PER_SECOND, burst: config.MQCHAT_RATE_LIMIT_BURST }),
        persistence: new AsyncLevelPersistence(storage.sessions),
        logger,
        registry
      },
      {
        genericTopics: config.MQCHAT_GENERIC_TOPICS,
        allowAnonymous: config.MQCHAT_ALLOW_ANONYMOUS,
        maxConnectionsPerUser: config.MQCHAT_MAX_CONNECTIONS_PER_USER,
        maxMessageBytes: config.MQCHAT_MAX_MESSAGE_BYTES
      }
    )
    cleanup.push(() => broker.close())
    const app = createApp(
      {
        accounts: storage.accounts,
        history: storage.history,
        chatLog: storage.chatLog,
        tokens,
        chat: {
          async send(userId, roomId, message) {
            const result = await broker.pipeline.send(userId, roomId, message)
            if (!result.duplicate) await broker.publishChat(result)
            return result
          },
          membershipChanged: broker.membershipChanged
        },
        registry,
        logger,
        isReady: () => ready
      },
      { maxMessageBytes: config.MQCHAT_MAX_MESSAGE_BYTES }
    )
    const mqtt = await listenTcp(broker.aedes, config.MQCHAT_HOST, config.MQCHAT_MQTT_PORT)
    // stop accepting; the broker's close ends the open connections
    cleanup.push(async () => void mqtt.server.close())
    const http = await listenHttp(app, broker.aedes, {
      host: config.MQCHAT_HOST,
      port: config.MQCHAT_HTTP_PORT,
      // room for one largest chat message plus MQTT framing and a batch of small packets
      maxFrameBytes: 2 * config.MQCHAT_MAX_MESSAGE_BYTES + 65_536
    })
    cleanup.push(async () => {
      http.server.closeAllConnections()
      await closeServer(http.server)
    })
    ready = true
    logger.info({ mqttPort: mqtt.port, httpPort: http.port, dataDir: config.MQCHAT_DATA_DIR }, 'mqchat dev node listening')
    return {
      mqttPort: mqtt.port,
      httpPort: http.port,
      async close() {
        ready = false
        await closeAll()
      }
    }
  } catch (error) {
    await closeAll()
    throw error
  }
}

/** Embedded mode keeps one generated token secret in the data directory. */
async function embeddedSecret(dataDir: string): Promise<string> {
  const path = join(dataDir, 'jwt-secret')
  try {
    return (await readFile(path, 'utf8')).trim()
  } catch {
    const secret = randomBytes(48).toString('base64url')
    await writeFile(path, secret, { mode: 0o600, flag: 'wx' }).catch(() => undefined)
    return (await readFile(path, 'utf8')).trim()
  }
}
