import { z } from 'zod'

export type JsonSchema = Record<string, unknown>

/**
 * A zod schema as JSON Schema 2020-12 (the dialect of OpenAPI 3.1 and of AsyncAPI 3 payloads):
 * `input` for what a client sends (defaults make fields optional), `output` for what it receives.
 * Refinements (bounded meta, non-empty body) are checked by the code only; they are named in descriptions.
 */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema
  return rest
}

/** `schema` with `fields` no longer required. */
export function withOptional(schema: JsonSchema, fields: readonly string[]): JsonSchema {
  const required = Array.isArray(schema.required) ? schema.required.filter((field) => !fields.includes(field)) : undefined
  return { ...schema, required }
}
