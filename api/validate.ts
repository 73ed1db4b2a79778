import type { z } from 'zod'
import { MqchatError } from '../core/errors.js'

/** Parses request input or throws an `invalid_request` naming the first bad field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  throw new MqchatError('invalid_request', `${issue?.path.join('.') || 'body'}: ${issue?.message}`, result.error.issues)
}
