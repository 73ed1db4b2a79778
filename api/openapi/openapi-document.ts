import { ERROR_STATUS, type ErrorCode } from '../../core/errors.js'
import { adminRouteDocs } from './admin-routes.js'
import { problemSchema } from './answer-schemas.js'
import { type JsonSchema, jsonSchema, withOptional } from './json-schema.js'
import { messageRouteDocs } from './message-routes.js'
import { readRouteDocs } from './read-routes.js'
import type { Access, RouteDoc } from './route-doc.js'
import { userRouteDocs } from './user-routes.js'

/** Every REST route; a test fails while express mounts one that is not here. */
export const ROUTE_DOCS: readonly RouteDoc[] = [...userRouteDocs, ...messageRouteDocs, ...adminRouteDocs, ...readRouteDocs]

const ACCESS_ERRORS: Record<Access, ErrorCode[]> = {
  public: [],
  user: ['unauthenticated', 'forbidden'],
  'user-or-service': ['unauthenticated', 'forbidden'],
  admin: ['unauthenticated', 'forbidden'],
  'rooms:admin': ['unauthenticated', 'forbidden'],
  metrics: ['unauthenticated']
}

const ACCESS_TEXT: Record<Access, string> = {
  public: 'No credentials.',
  user: 'A user token (service keys get 403).',
  'user-or-service': 'A user token, or a service API key with the scope named below.',
  admin: 'An admin user, or a service key with the `admin` scope.',
  'rooms:admin': 'An admin user, or a service key with `rooms:admin` or `admin`.',
  metrics: '`Bearer <MQCHAT_METRICS_TOKEN>` when that token is set; otherwise none.'
}

const ID_PARAMETER = { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' }

/** The problem+json codes a route can answer, with the status of each. */
export function errorCodesOf(route: RouteDoc): ErrorCode[] {
  const codes = new Set<ErrorCode>([...ACCESS_ERRORS[route.access], ...route.errors, 'unavailable'])
  if (route.body) for (const code of ['invalid_json', 'invalid_request', 'too_large'] as const) codes.add(code)
  if (route.query) codes.add('invalid_request')
  return [...codes]
}

function errorResponses(route: RouteDoc): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>()
  for (const code of errorCodesOf(route)) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code])
  const responses: Record<string, unknown> = {}
  for (const [status, codes] of byStatus) {
    const headers: Record<string, unknown> = {}
    if (status === 429) headers['Retry-After'] = { description: 'seconds to wait', schema: { type: 'integer' } }
    if (status === 401) headers['WWW-Authenticate'] = { description: '`Bearer`', schema: { type: 'string' } }
    responses[status] = {
      description: `problem+json (RFC 9457) with \`code\` ${codes.map((code) => `\`${code}\``).join(', ')}`,
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      content: { 'application/problem+json': { schema: jsonSchema(problemSchema(codes), 'output') } }
    }
  }
  return responses
}

function answers(route: RouteDoc): Record<string, unknown> {
  const responses: Record<string, unknown> = {}
  for (const [status, answer] of Object.entries(route.answers)) {
    if (status === '204') {
      responses[status] = { description: answer.description }
      continue
    }
    const schema = answer.schema ? jsonSchema(answer.schema, 'output') : answer.contentType ? { type: 'string' } : { type: 'object' }
    responses[status] = { description: answer.description, content: { [answer.contentType ?? 'application/json']: { schema } } }
  }
  return responses
}

function parameters(route: RouteDoc): unknown[] {
  const inPath = [...route.path.matchAll(/\{(\w+)\}/g)].map(([, name = '']) => {
    const schema = route.params?.[name]
    return { name, in: 'path', required: true, schema: schema ? jsonSchema(schema, 'input') : ID_PARAMETER }
  })
  const inHeader = Object.entries(route.headers ?? {}).map(([name, description]) => ({
    name,
    in: 'header',
    required: false,
    description,
    schema: { type: 'string' }
  }))
  if (!route.query) return [...inPath, ...inHeader]
  const query = jsonSchema(route.query, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] }
  const inQuery = Object.entries(query.properties ?? {}).map(([name, schema]) => ({
    name,
    in: 'query',
    required: query.required?.includes(name) ?? false,
    schema
  }))
  return [...inPath, ...inHeader, ...inQuery]
}

function operation(route: RouteDoc): Record<string, unknown> {
  const body = route.body ? withOptional(jsonSchema(route.body, 'input'), route.bodyOptional ?? []) : null
  const params = parameters(route)
  return {
    operationId: `${route.method}${route.path.replace(/[^A-Za-z0-9]+(\w)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
    tags: [route.tag],
    summary: route.summary,
    description: [ACCESS_TEXT[route.access], route.description].filter(Boolean).join(' '),
    security: route.access === 'public' ? [] : route.access === 'metrics' ? [{}, { metricsToken: [] }] : [{ bearer: [] }],
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: body } } } } : {}),
    responses: { ...answers(route), ...errorResponses(route) }
  }
}

/** The OpenAPI 3.1 document of the REST API, generated from the zod schemas the routes validate with. */
export function buildOpenApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of ROUTE_DOCS) {
    const item = paths[route.path] ?? {}
    item[route.method] = operation(route)
    paths[route.path] = item
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'mqchat REST API',
      version,
      description: 'Chat over MQTT: the REST side. The MQTT side is described by /v1/asyncapi.json and docs/protocol.md.'
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    tags: ['auth', 'rooms', 'messages', 'admin', 'health', 'documents'].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'a user token (JWT) or a service API key (`mqk_…`)' },
        metricsToken: { type: 'http', scheme: 'bearer', description: 'MQCHAT_METRICS_TOKEN' }
      }
    }
  }
}
