import express, { type Express } from 'express'
import helmet from 'helmet'
import type { ApiDeps, ApiOptions } from './deps.js'
import { authenticate, requireUser, serviceMessageScopes } from './middleware/authenticate.js'
import { requireMetricsToken } from './middleware/metrics-token.js'
import { notFound, problemHandler } from './middleware/problem.js'
import { docsRoutes } from './openapi/docs-routes.js'
import { accountRoutes } from './routes/account.js'
import { adminRoutes } from './routes/admin.js'
import { authRoutes } from './routes/auth.js'
import { healthRoutes } from './routes/health.js'
import { messageRoutes } from './routes/messages.js'
import { roomReadRoutes } from './routes/room-reads.js'
import { roomSettingsRoutes } from './routes/room-settings.js'
import { roomRoutes } from './routes/rooms.js'
import { webAppRoutes } from './web-app-routes.js'

/** The REST API (SPEC §6) as an express app; the caller decides where it listens. */
export function createApp(deps: ApiDeps, options: ApiOptions): Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('query parser', 'simple')
  // security headers on every answer (CSP, nosniff, frame-ancestors, HSTS under TLS, ...)
  // helmet's CSP (script-src 'self'; connect-src falls back to default-src 'self', which covers the app's
  // same-origin ws/wss /mqtt) with two changes for the chat app: worker-src blob:, for mqtt.js's timer
  // worker (keepalive pings that background tabs do not throttle; only a script already running on the page
  // can make a blob), and no upgrade-insecure-requests: on plain HTTP at a LAN address it would turn the
  // app's ws:// into an unanswered wss://; under TLS everything is same-origin https already
  app.use(helmet({ contentSecurityPolicy: { directives: { workerSrc: ["'self'", 'blob:'], upgradeInsecureRequests: null } } }))
  app.use(express.json({ limit: options.maxMessageBytes * 2, strict: false }))
  app.use('/metrics', requireMetricsToken(options.metricsToken))
  app.use(healthRoutes(deps))
  app.use(docsRoutes())
  app.use(webAppRoutes(deps.logger.child({ component: 'web-app' })))
  app.use('/v1/auth', accountRoutes(deps))
  app.use('/v1/auth', authRoutes(deps, options))
  app.use('/v1/admin', adminRoutes(deps))
  const auth = authenticate(deps)
  // service keys read (history:read) and send (messages:write) in any room; users in their rooms
  app.use('/v1/rooms/:roomId/messages', auth, serviceMessageScopes, messageRoutes(deps))
  app.use('/v1/rooms', auth, requireUser, roomSettingsRoutes(deps))
  app.use('/v1/rooms', auth, requireUser, roomReadRoutes(deps))
  app.use('/v1/rooms', auth, requireUser, roomRoutes(deps))
  app.use(notFound)
  app.use(problemHandler(deps.logger.child({ component: 'api' })))
  return app
}
