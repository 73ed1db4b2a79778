import { MqchatError } from '../../core/errors.js'
import type { RedisClient } from '../redis-client.js'
import { type ApiKeyRecord, type CredentialsStore, NO_CREDENTIALS, type UserCredentials } from './credentials-store.js'

/**
 * Credentials in Redis, read by every node on every request and CONNECT. Keys (a user's keys
 * share one hash tag, so one check is one slot on Redis Cluster):
 *   {prefix}{cred:<userId>}          hash: after (ms), banned, admin
 *   {prefix}{cred:<userId>}:jti:<j>  '' with a TTL until the logged-out token expires
 *   {prefix}banned                   set of banned users
 *   {prefix}apikey:<id>              hash: record (JSON without revokedAt), revokedAt;  {prefix}apikeys: set of ids
 * `banned` and `apikeys` are global to the deployment, written only by admin actions (never on the
 * send path or a CONNECT), each in its own command.
 */
export class RedisCredentialsStore implements CredentialsStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string
  ) {}

  private userKey(userId: string): string {
    return `${this.prefix}{cred:${userId}}`
  }

  private jtiKey(userId: string, jti: string): string {
    return `${this.userKey(userId)}:jti:${jti}`
  }

  async userCredentials(userId: string): Promise<UserCredentials> {
    const [after, banned, admin] = await this.redis.hmget(this.userKey(userId), 'after', 'banned', 'admin')
    return { tokensValidAfter: Number(after ?? NO_CREDENTIALS.tokensValidAfter), banned: banned === '1', admin: admin === '1' }
  }

  async revokeTokens(userId: string, before: number): Promise<void> {
    // only forward: a late, older revocation must not re-validate tokens
    await this.redis.eval(
      "local c = tonumber(redis.call('HGET', KEYS[1], 'after') or '0') if tonumber(ARGV[1]) > c then redis.call('HSET', KEYS[1], 'after', ARGV[1]) end",
      1,
      this.userKey(userId),
      String(before)
    )
  }

  async revokeToken(userId: string, jti: string, expiresAt: number): Promise<void> {
    const ttl = Math.max(expiresAt - Date.now(), 1000)
    await this.redis.set(this.jtiKey(userId, jti), '', 'PX', ttl)
  }

  async isRevoked(userId: string, jti: string | null, issuedAt: number): Promise<boolean> {
    const multi = this.redis.multi().hmget(this.userKey(userId), 'after', 'banned')
    if (jti !== null) multi.exists(this.jtiKey(userId, jti))
    const replies = (await multi.exec()) ?? []
    for (const [error] of replies) if (error) throw error
    const [after, banned] = (replies[0]?.[1] ?? []) as (string | null)[]
    if (banned === '1' || issuedAt < Number(after ?? 0)) return true
    return jti !== null && replies[1]?.[1] === 1
  }

  async isBanned(userId: string): Promise<boolean> {
    return (await this.redis.hget(this.userKey(userId), 'banned')) === '1'
  }

  async setBanned(userId: string, banned: boolean): Promise<void> {
    await this.redis.hset(this.userKey(userId), 'banned', banned ? '1' : '0')
    if (banned) await this.redis.sadd(`${this.prefix}banned`, userId)
    else await this.redis.srem(`${this.prefix}banned`, userId)
  }

  async setAdmin(userId: string, admin: boolean): Promise<void> {
    await this.redis.hset(this.userKey(userId), 'admin', admin ? '1' : '0')
  }

  async bannedUsers(): Promise<string[]> {
    return (await this.redis.smembers(`${this.prefix}banned`)).sort()
  }

  async createApiKey({ revokedAt, ...key }: ApiKeyRecord): Promise<void> {
    const created = await this.redis.hsetnx(this.apiKey(key.id), 'record', JSON.stringify(key))
    if (created !== 1) throw new MqchatError('conflict', `API key ${key.id} already exists`)
    if (revokedAt !== null) await this.redis.hset(this.apiKey(key.id), 'revokedAt', String(revokedAt))
    await this.redis.sadd(`${this.prefix}apikeys`, key.id)
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    const [record, revokedAt] = await this.redis.hmget(this.apiKey(id), 'record', 'revokedAt')
    if (record == null) return null
    return { ...(JSON.parse(record) as Omit<ApiKeyRecord, 'revokedAt'>), revokedAt: revokedAt == null ? null : Number(revokedAt) }
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const ids = await this.redis.smembers(`${this.prefix}apikeys`)
    const keys = await Promise.all(ids.map((id) => this.getApiKey(id)))
    return keys.filter((key) => key !== null).sort((a, b) => a.createdAt - b.createdAt)
  }

  async revokeApiKey(id: string, at: number): Promise<boolean> {
    if ((await this.redis.hexists(this.apiKey(id), 'record')) !== 1) return false
    // HSETNX: of two admins revoking at once, one is told it revoked the key
    return (await this.redis.hsetnx(this.apiKey(id), 'revokedAt', String(at))) === 1
  }

  private apiKey(id: string): string {
    return `${this.prefix}apikey:${id}`
  }

  async close(): Promise<void> {}
}
