import express, { type Express } from 'express'
import type { ApiDeps, ApiOptions } from './deps.js'
import { requireUser } from './middleware/authenticate.js'
import { notFound, problemHandler } from './middleware/problem.js'
import { authRoutes } from './routes/auth.js'
import { healthRoutes } from './routes/health.js'
import { messageRoutes } from './routes/messages.js'
import { roomRoutes } from './routes/rooms.js'

/** The REST API (SPEC §6) as an express app; the caller decides where it listens. */
export function createApp(deps: ApiDeps, options: ApiOptions): Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('query parser', 'simple')
  app.use(express.json({ limit: options.maxMessageBytes * 2, strict: false }))
  app.use(healthRoutes(deps))
  app.use('/v1/auth', authRoutes(deps, options))
  app.use('/v1/rooms/:roomId/messages', requireUser(deps.tokens), messageRoutes(deps))
  app.use('/v1/rooms', requireUser(deps.tokens), roomRoutes(deps))
  app.use(notFound)
  app.use(problemHandler(deps.logger.child({ component: 'api' })))
  return app
}
