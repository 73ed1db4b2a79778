import type { Response } from 'express'
import type { z } from 'zod'

/**
 * Sends a JSON answer typed by the zod schema the OpenAPI document gives the route's answer, so
 * that a route answering another shape does not compile (test/integration/openapi.test.ts
 * validates the real answers against the document too).
 */
export function answer<S extends z.ZodType>(res: Response, _schema: S, body: z.input<S>, status = 200): void {
  res.status(status).json(body)
}
