import type { z } from 'zod'
import type { ErrorCode } from '../../core/errors.js'

/**
 * Who may call a route: nobody in particular (`public`), a user's token (`user`), a user or a
 * service key with the route's scope (`user-or-service`), an admin or a key with `admin` or
 * `rooms:admin`, or the metrics token when MQCHAT_METRICS_TOKEN is set.
 */
export type Access = 'public' | 'user' | 'user-or-service' | 'admin' | 'rooms:admin' | 'metrics'

/** One answer of a route: a JSON body described by a zod schema, another media type, or none (204). */
export interface AnswerDoc {
  description: string
  schema?: z.ZodType
  /** `application/json` when absent. */
  contentType?: string
  headers?: Record<string, string>
}

/** One REST route as the OpenAPI document describes it; paths use `{param}` as OpenAPI does. */
export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete'
  path: string
  tag: string
  summary: string
  description?: string
  access: Access
  /** Path parameters that are not ids (`[A-Za-z0-9_-]{1,64}`), e.g. a seq. */
  params?: Record<string, z.ZodType>
  /** Optional request headers, by name, with their description. */
  headers?: Record<string, string>
  /** The schema the route validates its query with. */
  query?: z.ZodObject
  /** The schema the route validates its JSON body with. */
  body?: z.ZodType
  /** Required fields of `body` the route fills in when absent (POST messages generates `id`). */
  bodyOptional?: string[]
  answers: Record<number, AnswerDoc>
  /** The problem+json codes the route itself answers; those of access, bodies and failures are added. */
  errors: ErrorCode[]
}
