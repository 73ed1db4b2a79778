// Prints .env.example from the config schema: `npm run env:example`.
import { configSchema } from './config.js'

for (const [name, field] of Object.entries(configSchema.shape)) {
  const parsed = field.safeParse(undefined)
  const value = parsed.success && parsed.data !== undefined ? String(parsed.data) : ''
  console.log(`# ${field.description ?? ''}\n${parsed.success && parsed.data !== undefined ? '' : '# '}${name}=${value}\n`)
}
