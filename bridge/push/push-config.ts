import type { Config } from '../../core/config.js'
import { ConfigError } from '../../core/errors.js'
import type { PushDispatcherOptions } from './push-dispatcher.js'

/** The dispatcher's options from the configuration; null when push is off (no MQCHAT_PUSH_URL). */
export function pushOptionsOf(config: Config, consumer: string): PushDispatcherOptions | null {
  if (!config.MQCHAT_PUSH_URL) return null
  if (!config.MQCHAT_PUSH_SECRET) throw new ConfigError(['MQCHAT_PUSH_SECRET: required with MQCHAT_PUSH_URL'])
  return {
    consumer,
    url: config.MQCHAT_PUSH_URL,
    secret: config.MQCHAT_PUSH_SECRET,
    timeoutMs: config.MQCHAT_PUSH_TIMEOUT_MS,
    maxAttempts: config.MQCHAT_PUSH_MAX_ATTEMPTS,
    retryMs: config.MQCHAT_PUSH_RETRY_MS,
    maxRetryMs: 60_000,
    concurrency: config.MQCHAT_PUSH_CONCURRENCY,
    blockMs: 1000
  }
}
