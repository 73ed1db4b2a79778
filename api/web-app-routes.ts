import { Router } from 'express'
import { buildWebApp, type WebBundle } from '../clients/web/build.js'
import type { Logger } from '../core/logger.js'

const FILES: { path: string; type: string; pick(bundle: WebBundle): string }[] = [
  { path: '/', type: 'html', pick: (bundle) => bundle.html },
  { path: '/app.js', type: 'application/javascript', pick: (bundle) => bundle.js },
  { path: '/app.css', type: 'text/css', pick: (bundle) => bundle.css }
]

/**
 * The browser chat app (clients/web): `/`, `/app.js` and `/app.css` and nothing else, so /v1, /mqtt,
 * /docs, /healthz and /metrics stay as they are. Built in memory on the first request (esbuild takes
 * well under a second); a failed build answers 500 and is tried again on the next request.
 */
export function webAppRoutes(logger: Logger): Router {
  let bundle: Promise<WebBundle> | null = null
  const load = () => {
    bundle ??= buildWebApp().catch((error: unknown) => {
      bundle = null
      logger.error({ err: error }, 'cannot build the web app')
      throw error
    })
    return bundle
  }
  const router = Router()
  for (const file of FILES) {
    router.get(file.path, (_req, res, next) => {
      // no-cache: revalidated by ETag on every load, so a restarted server's new bundle is picked up
      load().then((built) => void res.type(file.type).set('cache-control', 'no-cache').send(file.pick(built)), next)
    })
  }
  return router
}
