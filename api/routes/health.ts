import { Router } from 'express'
import type { ApiDeps } from '../deps.js'
import { answer } from '../openapi/answer.js'
import { livenessSchema, readinessSchema } from '../openapi/answer-schemas.js'

/** Liveness, readiness and Prometheus metrics. */
export function healthRoutes({ registry, isReady }: ApiDeps): Router {
  const router = Router()
  router.get('/healthz', (_req, res) => answer(res, livenessSchema, { status: 'ok' }))
  router.get('/readyz', (_req, res) => {
    const ready = isReady()
    answer(res, readinessSchema, { status: ready ? 'ready' : 'starting' }, ready ? 200 : 503)
  })
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics())
  })
  return router
}
