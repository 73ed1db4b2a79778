import type { Response } from 'express'
import type { z } from 'zod'

/**
 * `T` without index signatures, so that an interface (the `Envelope`) fits the schema of a loose
 * object (the envelope keeps unknown fields); the declared fields are still checked.
 */
type Declared<T> = T extends readonly (infer U)[]
  ? Declared<U>[]
  : T extends object
    ? { [K in keyof T as string extends K ? never : K]: Declared<T[K]> }
    : T

/**
 * Sends a JSON answer typed by the zod schema the OpenAPI document gives the route's answer, so
 * that a route answering another shape does not compile (test/integration/openapi.test.ts
 * validates the real answers against the document too).
 */
export function answer<S extends z.ZodType>(res: Response, _schema: S, body: Declared<z.input<S>>, status = 200): void {
  res.status(status).json(body)
}
