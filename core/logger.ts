import { type Logger, pino } from 'pino'

export type { Logger }

/** JSON logs to stdout; components take a child logger (`logger.child({ component })`). */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'mqchat' },
    redact: ['password', '*.password', 'token', '*.token', 'req.headers.authorization']
  })
}
