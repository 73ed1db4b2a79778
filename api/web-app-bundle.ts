import { readFile } from 'node:fs/promises'
import { build } from 'esbuild'
import { sourcePath } from '../core/source-root.js'

/** The browser app as served at `/`: the page, its one script and its one stylesheet. */
export interface WebBundle {
  html: string
  js: string
  css: string
}

// read by path, not imported: api/ does not import clients/ (README, where things live)
const here = (file: string) => sourcePath(`clients/web/${file}`)

/**
 * Bundles clients/web (Preact + the SDK + mqtt.js) in memory with esbuild. The server builds on the
 * first request for the app, so a fresh clone serves it after `npm install` with no build step and
 * the bundle is never older than the source it runs.
 */
export async function buildWebApp(): Promise<WebBundle> {
  const [result, html, css] = await Promise.all([
    build({
      entryPoints: [here('main.ts')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      legalComments: 'eof',
      logLevel: 'silent',
      outfile: 'app.js'
    }),
    readFile(here('index.html'), 'utf8'),
    readFile(here('styles.css'), 'utf8')
  ])
  const js = result.outputFiles.find((file) => file.path.endsWith('.js'))
  if (!js) throw new Error('esbuild produced no script for the web app')
  return { html, js: js.text, css }
}
