import { MqchatError } from '../../core/errors.js'
import { pad, type StringLevel } from '../level.js'
import { createSerialQueue } from '../serial-queue.js'
import { type ApiKeyRecord, type CredentialsStore, NO_CREDENTIALS, type UserCredentials } from './credentials-store.js'

/**
 * Embedded credentials on their own LevelDB. Keys:
 *   u!{userId}          -> UserCredentials JSON
 *   j!{userId}!{jti}    -> expiry (ms) of a logged-out token (jti base64url: external ones may hold '!')
 *   x!{expiry}!{userId}!{jti} -> '' (the same, by expiry, to forget them)
 *   k!{keyId}           -> ApiKeyRecord JSON
 * Read-modify-write steps are serialized in-process (one process owns the database).
 */
export class LevelCredentialsStore implements CredentialsStore {
  private readonly serialize = createSerialQueue()

  constructor(private readonly db: StringLevel) {}

  async userCredentials(userId: string): Promise<UserCredentials> {
    const value = await this.db.get(`u!${userId}`)
    return value === undefined ? { ...NO_CREDENTIALS } : { ...NO_CREDENTIALS, ...(JSON.parse(value) as Partial<UserCredentials>) }
  }

  private update(userId: string, change: (current: UserCredentials) => UserCredentials): Promise<void> {
    return this.serialize(async () => {
      await this.db.put(`u!${userId}`, JSON.stringify(change(await this.userCredentials(userId))))
    })
  }

  revokeTokens(userId: string, before: number): Promise<void> {
    return this.update(userId, (c) => ({ ...c, tokensValidAfter: Math.max(c.tokensValidAfter, before) }))
  }

  async revokeToken(userId: string, jti: string, expiresAt: number): Promise<void> {
    await this.forgetExpired(Date.now())
    await this.db.batch([
      { type: 'put', key: `j!${userId}!${encodeJti(jti)}`, value: String(expiresAt) },
      { type: 'put', key: `x!${pad(expiresAt, 15)}!${userId}!${encodeJti(jti)}`, value: '' }
    ])
  }

  async isRevoked(userId: string, jti: string | null, issuedAt: number): Promise<boolean> {
    const credentials = await this.userCredentials(userId)
    if (credentials.banned || issuedAt < credentials.tokensValidAfter) return true
    return jti !== null && (await this.db.get(`j!${userId}!${encodeJti(jti)}`)) !== undefined
  }

  async isBanned(userId: string): Promise<boolean> {
    return (await this.userCredentials(userId)).banned
  }

  setBanned(userId: string, banned: boolean): Promise<void> {
    return this.update(userId, (c) => ({ ...c, banned }))
  }

  setAdmin(userId: string, admin: boolean): Promise<void> {
    return this.update(userId, (c) => ({ ...c, admin }))
  }

  async bannedUsers(): Promise<string[]> {
    const banned: string[] = []
    for await (const [key, value] of this.db.iterator({ gt: 'u!', lt: 'u!~' })) {
      if ((JSON.parse(value) as Partial<UserCredentials>).banned) banned.push(key.slice(2))
    }
    return banned
  }

  createApiKey(key: ApiKeyRecord): Promise<void> {
    return this.serialize(async () => {
      if ((await this.db.get(`k!${key.id}`)) !== undefined) throw new MqchatError('conflict', `API key ${key.id} already exists`)
      await this.db.put(`k!${key.id}`, JSON.stringify(key))
    })
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    const value = await this.db.get(`k!${id}`)
    return value === undefined ? null : (JSON.parse(value) as ApiKeyRecord)
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const values = await this.db.values({ gt: 'k!', lt: 'k!~' }).all()
    return values.map((value) => JSON.parse(value) as ApiKeyRecord).sort((a, b) => a.createdAt - b.createdAt)
  }

  revokeApiKey(id: string, at: number): Promise<boolean> {
    return this.serialize(async () => {
      const key = await this.getApiKey(id)
      if (!key || key.revokedAt !== null) return false
      await this.db.put(`k!${id}`, JSON.stringify({ ...key, revokedAt: at }))
      return true
    })
  }

  /** Logged-out tokens past their expiry fail verification anyway: their entries can go. */
  private async forgetExpired(now: number): Promise<void> {
    const keys = await this.db.keys({ gt: 'x!', lt: `x!${pad(now, 15)}`, limit: 100 }).all()
    if (keys.length === 0) return
    await this.db.batch(
      keys.flatMap((key) => {
        const [, , userId, jti] = key.split('!')
        return [
          { type: 'del' as const, key },
          { type: 'del' as const, key: `j!${userId}!${jti}` }
        ]
      })
    )
  }

  async close(): Promise<void> {
    await this.serialize(async () => undefined)
  }
}

const encodeJti = (jti: string) => Buffer.from(jti).toString('base64url')
