import { builtinModules } from 'node:module'
import { resolve } from 'node:path'
import { build } from 'esbuild'
import { describe, expect, expectTypeOf, it } from 'vitest'
import type * as sdk from '../../clients/sdk/index.js'
import type { Envelope as CoreEnvelope } from '../../core/message.js'

const REPO = resolve(import.meta.dirname, '../..')

describe('the SDK surface', () => {
  it('hands over the envelope the server defines (core/message.ts)', () => {
    expectTypeOf<sdk.Envelope>().toEqualTypeOf<CoreEnvelope>()
  })

  it('has the API of SPEC §7', () => {
    expectTypeOf<typeof sdk.connect>().parameter(0).toMatchTypeOf<{ url: string; token: string; mqttUrl?: string }>()
    expectTypeOf<typeof sdk.connect>().returns.resolves.toEqualTypeOf<sdk.Chat>()
    expectTypeOf<sdk.Chat['join']>().parameters.toEqualTypeOf<[string, { after?: number }?]>()
    expectTypeOf<sdk.Chat['send']>().returns.resolves.toEqualTypeOf<sdk.Envelope>()
    expectTypeOf<sdk.Chat['history']>().parameter(1).toEqualTypeOf<sdk.HistoryQuery | undefined>()
    expectTypeOf<sdk.ChatError['code']>().toEqualTypeOf<string>()
  })

  it('bundles for the browser without any Node built-in module', async () => {
    const result = await build({
      entryPoints: [resolve(REPO, 'clients/sdk/index.ts')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      metafile: true,
      logLevel: 'silent'
    })
    const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)])
    const ours = Object.keys(result.metafile.inputs).filter((input) => !input.startsWith('node_modules/'))
    expect(ours.filter((input) => builtins.has(input))).toEqual([])
    // only the SDK and the pure core modules it shares with the server
    expect(ours.every((input) => input.startsWith('clients/sdk/') || ['core/topics.ts', 'core/ids.ts'].includes(input))).toBe(true)
    for (const input of Object.values(result.metafile.inputs)) {
      for (const imported of input.imports) expect(builtins.has(imported.path), imported.path).toBe(false)
    }
  })

  it('is tree-shakeable: an app that uses only the REST client bundles without mqtt.js', async () => {
    const result = await build({
      stdin: {
        contents: "import { createRestClient } from './clients/sdk/index.js'; console.log(createRestClient)",
        resolveDir: REPO,
        loader: 'ts'
      },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      metafile: true,
      logLevel: 'silent'
    })
    const bundled = Object.entries(result.metafile.outputs).flatMap(([, output]) => Object.keys(output.inputs))
    expect(bundled.filter((input) => input.includes('node_modules/mqtt'))).toEqual([])
    expect(bundled).toContain('clients/sdk/rest.ts')
  })
})
