import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { ApiKeyRecord, CredentialsStore } from '../storage/credentials/credentials-store.js'

const KEY_PATTERN = /^mqk_([0-9a-f]{16})_([A-Za-z0-9_-]{32})$/

const sha256 = (secret: string) => createHash('sha256').update(secret).digest('hex')

/** A new key `mqk_<id>_<secret>` (64 + 192 random bits): the text is shown once, only the hash is kept. */
export function newApiKey(): { id: string; text: string; secretHash: string } {
  const id = randomBytes(8).toString('hex')
  const secret = randomBytes(24).toString('base64url')
  return { id, text: `mqk_${id}_${secret}`, secretHash: sha256(secret) }
}

export function looksLikeApiKey(text: string): boolean {
  return text.startsWith('mqk_')
}

/** The key's record when `text` is a known, unrevoked key; null otherwise. Read from the store every time. */
export async function verifyApiKey(credentials: CredentialsStore, text: string): Promise<ApiKeyRecord | null> {
  const match = KEY_PATTERN.exec(text)
  if (!match) return null
  const [, id, secret] = match as unknown as [string, string, string]
  const key = await credentials.getApiKey(id)
  if (!key || key.revokedAt !== null) return null
  const expected = Buffer.from(key.secretHash, 'hex')
  const actual = Buffer.from(sha256(secret), 'hex')
  return expected.length === actual.length && timingSafeEqual(expected, actual) ? key : null
}
