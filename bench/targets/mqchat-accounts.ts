import { randomBytes } from 'node:crypto'
import { createTokenService } from '../../core/tokens.js'
import { restApi } from './rest-api.js'
import type { Login, RunningTarget } from './target.js'

/** A token secret for one bench run, shared by every process of the target (at least 32 characters). */
export const newJwtSecret = () => randomBytes(48).toString('base64url')

/**
 * Users and rooms of an mqchat target: room members are registered through the REST API at
 * `httpUrl`; idle-connection logins are tokens signed here with the target's `secret` instead of
 * thousands of registrations through scrypt.
 */
export function mqchatAccounts(httpUrl: string, secret: string): Pick<RunningTarget, 'users' | 'idleLogins' | 'room'> {
  const api = restApi(httpUrl)
  const tokens = createTokenService(secret, 86_400)
  return {
    users: (count, prefix) => api.registerMany(count, prefix),
    async idleLogins(count, prefix) {
      const logins: Login[] = []
      for (let index = 0; index < count; index++) {
        const userId = `${prefix}-${index}`
        logins.push({ clientId: userId, username: userId, userId, password: await tokens.issue(userId) })
      }
      return logins
    },
    async room(members) {
      const [owner, ...others] = members
      if (!owner?.password) throw new Error('a room needs at least one registered member')
      const room = await api.createRoom(
        owner.password,
        others.map((member) => member.userId ?? member.clientId)
      )
      return { topic: `rooms/${room.id}/messages` }
    }
  }
}
