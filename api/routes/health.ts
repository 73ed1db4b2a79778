import { Router } from 'express'
import type { ApiDeps } from '../deps.js'

/** Liveness, readiness and Prometheus metrics. */
export function healthRoutes({ registry, isReady }: ApiDeps): Router {
  const router = Router()
  router.get('/healthz', (_req, res) => void res.json({ status: 'ok' }))
  router.get('/readyz', (_req, res) => void res.status(isReady() ? 200 : 503).json({ status: isReady() ? 'ready' : 'starting' }))
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics())
  })
  return router
}
