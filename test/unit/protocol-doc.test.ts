import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ERROR_STATUS } from '../../core/errors.js'

const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8')
const section = doc.slice(doc.indexOf('## Rejection reasons'), doc.indexOf('## REST API'))
const rows = [...section.matchAll(/^\| `([a-z_]+)` \| (\d+|—) \|/gm)].map(([, code, status]) => [code, status] as const)

describe('docs/protocol.md', () => {
  it('lists every error code with the HTTP status the API answers with', () => {
    const documented = Object.fromEntries(rows.filter(([, status]) => status !== '—'))
    expect(documented).toEqual(Object.fromEntries(Object.entries(ERROR_STATUS).map(([code, status]) => [code, String(status)])))
  })
})
