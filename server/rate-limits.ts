import { chatLimit, type RateLimits } from '../broker/rate-limiters/rate-limiter.js'
import type { Config } from '../core/config.js'

/** Every limit of docs/protocol.md "Rate limits", from the configuration. */
export function rateLimitsOf(config: Config): RateLimits {
  return {
    chat: chatLimit(config.MQCHAT_RATE_LIMIT_PER_SECOND, config.MQCHAT_RATE_LIMIT_BURST),
    signal: { points: config.MQCHAT_RATE_LIMIT_SIGNALS, durationSeconds: 10 },
    notice: { points: config.MQCHAT_RATE_LIMIT_NOTICES, durationSeconds: 10 },
    invite: { points: config.MQCHAT_RATE_LIMIT_INVITES, durationSeconds: 60 },
    room: { points: config.MQCHAT_RATE_LIMIT_ROOMS, durationSeconds: 60 },
    login_account: { points: config.MQCHAT_LOGIN_LIMIT_PER_ACCOUNT, durationSeconds: 300 },
    login_address: { points: config.MQCHAT_LOGIN_LIMIT_PER_ADDRESS, durationSeconds: 300 },
    register_address: { points: config.MQCHAT_REGISTER_LIMIT_PER_ADDRESS, durationSeconds: 3600 }
  }
}
