import type { Express } from 'express'

interface Layer {
  rawPath?: unknown
  slash?: boolean
  route?: { path: string; methods: Record<string, boolean> }
  handle: { stack?: Layer[] }
}

/**
 * Every route an express app has mounted, as `METHOD /path/{param}` (OpenAPI's form), found by
 * walking the app's router and its mounted routers (express 5 keeps each layer's `rawPath`).
 */
export function mountedRoutes(app: Express): string[] {
  const routes: string[] = []
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = toOpenApi(prefix + (layer.route.path === '/' ? '' : layer.route.path)) || '/'
        for (const [method, on] of Object.entries(layer.route.methods))
          if (on && method !== '_all') routes.push(`${method.toUpperCase()} ${path}`)
      } else if (Array.isArray(layer.handle.stack)) {
        if (typeof layer.rawPath !== 'string') throw new Error(`a router mounted at ${String(layer.rawPath)}: not a plain path`)
        walk(layer.handle.stack, prefix + (layer.slash ? '' : layer.rawPath))
      }
    }
  }
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '')
  return [...new Set(routes)]
}

function toOpenApi(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}')
}
