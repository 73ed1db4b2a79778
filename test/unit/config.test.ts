import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../core/config.js'
import { ConfigError } from '../../core/errors.js'

describe('parseConfig', () => {
  it('fills every default from an empty environment', () => {
    const config = parseConfig({})
    expect(config).toMatchObject({
      MQCHAT_MQTT_PORT: 1883,
      MQCHAT_HTTP_PORT: 8080,
      MQCHAT_DATA_DIR: './data',
      MQCHAT_GENERIC_TOPICS: false
    })
    expect(config.MQCHAT_JWT_SECRET).toBeUndefined()
  })

  it('coerces numbers and flags', () => {
    const config = parseConfig({ MQCHAT_MQTT_PORT: '0', MQCHAT_GENERIC_TOPICS: 'true', MQCHAT_ALLOW_ANONYMOUS: '1' })
    expect(config).toMatchObject({ MQCHAT_MQTT_PORT: 0, MQCHAT_GENERIC_TOPICS: true, MQCHAT_ALLOW_ANONYMOUS: true })
  })

  it('names every bad variable at once', () => {
    try {
      parseConfig({ MQCHAT_MQTT_PORT: '70000', MQCHAT_JWT_SECRET: 'short', MQCHAT_GENERIC_TOPICS: 'maybe' })
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError)
      const names = (error as ConfigError).problems.map((p) => p.split(':')[0])
      expect(names.sort()).toEqual(['MQCHAT_GENERIC_TOPICS', 'MQCHAT_JWT_SECRET', 'MQCHAT_MQTT_PORT'])
    }
  })
})
