import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { Router } from 'express'
import { sourcePath } from '../../core/source-root.js'
import { buildAsyncApiDocument } from './asyncapi-document.js'
import { buildOpenApiDocument } from './openapi-document.js'

const SWAGGER_UI = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))
/** The files of swagger-ui-dist the page loads; nothing else of the package is served. */
const ASSETS = ['swagger-ui.css', 'index.css', 'swagger-ui-bundle.js', 'favicon-32x32.png']

// no inline script: helmet's CSP (script-src 'self') allows only same-origin files
const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>mqchat API reference</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="swagger-ui.css">
  <link rel="stylesheet" href="index.css">
  <link rel="icon" type="image/png" href="favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="swagger-ui-bundle.js"></script>
  <script src="mqchat-docs.js"></script>
</body>
</html>
`

const INITIALIZER = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '../v1/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout'
  })
})
`

/**
 * GET /v1/openapi.json and /v1/asyncapi.json (built once, from the zod schemas), and /docs: the
 * OpenAPI document rendered by swagger-ui-dist from local files, so it works offline.
 */
export function docsRoutes(): Router {
  const { version } = JSON.parse(readFileSync(sourcePath('package.json'), 'utf8')) as { version: string }
  const openApi = JSON.stringify(buildOpenApiDocument(version))
  const asyncApi = JSON.stringify(buildAsyncApiDocument(version))
  const router = Router()
  router.get('/v1/openapi.json', (_req, res) => void res.type('application/json').send(openApi))
  router.get('/v1/asyncapi.json', (_req, res) => void res.type('application/json').send(asyncApi))
  router.get('/docs', (req, res) => {
    // the page's relative asset URLs need the trailing slash
    if (!req.originalUrl.split('?')[0]?.endsWith('/')) return void res.redirect(301, '/docs/')
    res.type('html').send(PAGE)
  })
  router.get('/docs/mqchat-docs.js', (_req, res) => void res.type('application/javascript').send(INITIALIZER))
  for (const asset of ASSETS) {
    router.get(`/docs/${asset}`, (_req, res, next) => res.sendFile(asset, { root: SWAGGER_UI, maxAge: '1d' }, (err) => err && next(err)))
  }
  return router
}
