import { MqchatError } from '../../core/errors.js'
import { KeyFilter } from '../key-filter.js'
import { pad, type StringLevel } from '../level.js'
import { LruMap } from '../lru-map.js'
import { createSerialQueue } from '../serial-queue.js'
import { type ApiKeyRecord, type CredentialsStore, NO_CREDENTIALS, type UserCredentials } from './credentials-store.js'

/** Users whose records are kept in memory: a few hundred bytes each, so at most a few MB. */
const CACHED_USERS = 10_000

/** A user's records: the flags and the (encoded) ids of their logged-out tokens. */
interface UserRecords {
  credentials: UserCredentials
  revoked: Set<string>
}

/**
 * Embedded credentials on their own LevelDB. Keys:
 *   u!{userId}          -> UserCredentials JSON
 *   j!{userId}!{jti}    -> expiry (ms) of a logged-out token (jti base64url: external ones may hold '!')
 *   x!{expiry}!{userId}!{jti} -> '' (the same, by expiry, to forget them)
 *   k!{keyId}           -> ApiKeyRecord JSON
 * Read-modify-write steps are serialized in-process (one process owns the database). Being the only
 * writer, the store serves the records of the users it read last from memory (an LRU of
 * `CACHED_USERS`, dropped by every write to them) and answers users without any record (a
 * `KeyFilter` of users with one) without a read: every CONNECT asks, and most users have none.
 */
export class LevelCredentialsStore implements CredentialsStore {
  private readonly serialize = createSerialQueue()
  private readonly users = new LruMap<string, UserRecords>(CACHED_USERS)
  private readonly recorded = new KeyFilter()
  /** Bumped before and after every write: a read that overlapped one is answered but not cached. */
  private writes = 0

  constructor(private readonly db: StringLevel) {}

  async userCredentials(userId: string): Promise<UserCredentials> {
    const records = await this.records(userId)
    return { ...(records?.credentials ?? NO_CREDENTIALS) }
  }

  /** The user's records, null when there are none. */
  private async records(userId: string): Promise<UserRecords | null> {
    const cached = this.users.get(userId)
    if (cached) return cached
    await this.recorded.filled(() => this.fillFilter())
    if (!this.recorded.mayHave(userId)) return null
    const writes = this.writes
    const [value, revoked] = await Promise.all([this.db.get(`u!${userId}`), this.db.keys({ gt: `j!${userId}!`, lt: `j!${userId}"` }).all()])
    const records = {
      credentials: value === undefined ? { ...NO_CREDENTIALS } : { ...NO_CREDENTIALS, ...(JSON.parse(value) as Partial<UserCredentials>) },
      revoked: new Set(revoked.map((key) => key.slice(`j!${userId}!`.length)))
    }
    if (writes === this.writes) this.users.set(userId, records)
    return records
  }

  /** Once per process: every user with a record ('"' follows '!', so each range is exactly its prefix). */
  private async fillFilter(): Promise<void> {
    for await (const key of this.db.keys({ gte: 'u!', lt: 'u"' })) this.recorded.add(key.slice(2))
    // base64url jtis hold no '!'
    for await (const key of this.db.keys({ gte: 'j!', lt: 'j"' })) this.recorded.add(key.slice(2, key.lastIndexOf('!')))
  }

  /** Runs a write of these users' records; their cached records go once it lands. */
  private async write<T>(userIds: string[], run: () => Promise<T>): Promise<T> {
    for (const userId of userIds) this.recorded.add(userId)
    this.writes += 1
    try {
      return await run()
    } finally {
      this.writes += 1
      for (const userId of userIds) this.users.delete(userId)
    }
  }

  private update(userId: string, change: (current: UserCredentials) => UserCredentials): Promise<void> {
    return this.serialize(async () => {
      const next = change(await this.userCredentials(userId))
      await this.write([userId], () => this.db.put(`u!${userId}`, JSON.stringify(next)))
    })
  }

  revokeTokens(userId: string, before: number): Promise<void> {
    return this.update(userId, (c) => ({ ...c, tokensValidAfter: Math.max(c.tokensValidAfter, before) }))
  }

  async revokeToken(userId: string, jti: string, expiresAt: number): Promise<void> {
    await this.forgetExpired(Date.now())
    await this.write([userId], () =>
      this.db.batch([
        { type: 'put', key: `j!${userId}!${encodeJti(jti)}`, value: String(expiresAt) },
        { type: 'put', key: `x!${pad(expiresAt, 15)}!${userId}!${encodeJti(jti)}`, value: '' }
      ])
    )
  }

  async isRevoked(userId: string, jti: string | null, issuedAt: number): Promise<boolean> {
    const records = await this.records(userId)
    if (!records) return issuedAt < NO_CREDENTIALS.tokensValidAfter
    const { banned, tokensValidAfter } = records.credentials
    return banned || issuedAt < tokensValidAfter || (jti !== null && records.revoked.has(encodeJti(jti)))
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
    const expired = keys.map((key) => {
      const [, , userId = '', jti] = key.split('!')
      return { key, userId, jti }
    })
    await this.write(
      expired.map(({ userId }) => userId),
      () =>
        this.db.batch(
          expired.flatMap(({ key, userId, jti }) => [
            { type: 'del' as const, key },
            { type: 'del' as const, key: `j!${userId}!${jti}` }
          ])
        )
    )
  }

  async close(): Promise<void> {
    await this.serialize(async () => undefined)
  }
}

const encodeJti = (jti: string) => Buffer.from(jti).toString('base64url')
