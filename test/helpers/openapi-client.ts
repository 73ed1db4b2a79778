import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { expect } from 'vitest'

type Operation = { responses: Record<string, { content?: Record<string, { schema: object }> }> }
export type OpenApiDoc = { paths: Record<string, Record<string, Operation>> }

export interface Answer {
  status: number
  contentType: string
  text: string
  /** checked against the document before it is read */
  body: any
}

export interface RequestInit {
  body?: unknown
  token?: string
  /** a body sent as is (not JSON-encoded) */
  raw?: string
  headers?: Record<string, string>
}

/**
 * A REST client that checks every answer against the node's own OpenAPI document: the operation
 * exists, the status is one of its responses, the media type is documented and the body validates
 * (ajv, JSON Schema 2020-12, the dialect of OpenAPI 3.1).
 */
export function documentedClient(baseUrl: string) {
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats.default(ajv)
  let doc: OpenApiDoc = { paths: {} }
  /** `METHOD /path status` of every answer checked against the document. */
  const answered = new Set<string>()

  async function call(method: string, path: string, init: RequestInit = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...init.headers }
    if (init.body !== undefined || init.raw !== undefined) headers['content-type'] = 'application/json'
    if (init.token) headers.authorization = `Bearer ${init.token}`
    const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body))
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body })
    const text = await response.text()
    const contentType = response.headers.get('content-type') ?? ''
    return { status: response.status, contentType, text, body: /json/.test(contentType) && text ? JSON.parse(text) : text }
  }

  /** Sends a real request to `template` (`{param}`s filled from `params`) and checks the answer against the document. */
  async function expectDocumented(method: string, template: string, params: Record<string, string>, init: RequestInit = {}) {
    const path = template.replace(/\{(\w+)\}/g, (_m, name: string) => params[name] ?? '')
    const answer = await call(method, path, init)
    const route = template.split('?')[0] as string
    const operation = doc.paths[route]?.[method.toLowerCase()]
    expect(operation, `${method} ${route} is documented`).toBeDefined()
    const response = operation?.responses[String(answer.status)]
    expect(response, `${method} ${route} answered ${answer.status} ${answer.text.slice(0, 200)}: not documented`).toBeDefined()
    if (!response?.content) {
      expect(answer.text, `${method} ${route} ${answer.status} has no body`).toBe('')
    } else {
      const mediaType = answer.contentType.split(';')[0] as string
      const media = response.content[mediaType]
      expect(media, `${method} ${route} ${answer.status} answered ${mediaType}, documented ${Object.keys(response.content)}`).toBeDefined()
      if (media && mediaType.endsWith('json')) {
        const validate = ajv.compile(media.schema)
        const valid = validate(answer.body)
        expect(valid, `${method} ${route} ${answer.status}: ${ajv.errorsText(validate.errors)} in ${answer.text.slice(0, 300)}`).toBe(true)
      }
    }
    answered.add(`${method} ${route} ${answer.status}`)
    return answer
  }

  return {
    call,
    expectDocumented,
    answered,
    /** Fetches GET /v1/openapi.json: the document every later answer is checked against. */
    async load(): Promise<OpenApiDoc> {
      doc = (await call('GET', '/v1/openapi.json')).body as OpenApiDoc
      return doc
    }
  }
}
