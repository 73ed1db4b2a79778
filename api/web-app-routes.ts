import { gzipSync } from 'node:zlib'
import { Router } from 'express'
import type { Logger } from '../core/logger.js'
import { buildWebApp, type WebBundle } from './web-app-bundle.js'

interface Served {
  plain: Buffer
  /** Precompressed once: the script is mostly mqtt.js (~370 kB, ~100 kB gzipped), which matters on a phone. */
  gzip: Buffer
}

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
  let files: Promise<Map<string, Served>> | null = null
  const load = () => {
    files ??= buildWebApp().then(
      (bundle) => new Map(FILES.map((file) => [file.path, compress(file.pick(bundle))])),
      (error: unknown) => {
        files = null
        logger.error({ err: error }, 'cannot build the web app')
        throw error
      }
    )
    return files
  }
  const router = Router()
  for (const file of FILES) {
    router.get(file.path, (req, res, next) => {
      load().then((built) => {
        const served = built.get(file.path) as Served
        const gzip = req.acceptsEncodings('gzip', 'identity') === 'gzip'
        // no-cache: revalidated by ETag on every load, so a restarted server's new bundle is picked up
        res.type(file.type).set('cache-control', 'no-cache').vary('accept-encoding')
        if (gzip) res.set('content-encoding', 'gzip')
        res.send(gzip ? served.gzip : served.plain)
      }, next)
    })
  }
  return router
}

function compress(text: string): Served {
  const plain = Buffer.from(text)
  return { plain, gzip: gzipSync(plain) }
}
