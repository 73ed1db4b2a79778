import type { Logger } from '../../core/logger.js'
import type { AccountsStore } from '../../storage/accounts/accounts-store.js'
import type { UserDirectory } from '../directory.js'
import type { MembershipChange, MembershipListener } from './membership-feed.js'

/** Users whose rooms are re-read at once during a resync. */
const RESYNC_CONCURRENCY = 50
/** Wait before re-reading again when the accounts store failed during a resync. */
const RETRY_MS = 1000

export interface MembershipSyncOptions {
  /** Told when a resync finished (logs, tests); `users` is how many were re-read. */
  onResynced?(users: number): void
}

/**
 * Keeps the directory's rooms of connected users current: applies every change of the feed,
 * and after a gap re-reads each connected user's rooms, then the member lists of those rooms
 * (the directory's roster, which decides presence visibility), from the accounts store. Changes that
 * arrive while a user's rooms are being re-read are applied again on top of what was read, so
 * a re-read that raced a newer change never undoes it.
 */
export function membershipSync(
  directory: UserDirectory,
  accounts: Pick<AccountsStore, 'roomsOf'>,
  logger: Logger,
  options: MembershipSyncOptions = {}
): MembershipListener {
  /** Changes seen since the running resync started; null when none runs. */
  let seen: MembershipChange[] | null = null
  let running: Promise<void> | null = null
  let again = false

  async function resyncUser(userId: string): Promise<void> {
    const from = seen?.length ?? 0
    const rooms = new Set(await accounts.roomsOf(userId))
    // as changes, so whatever the directory derives from memberships is updated too
    for (const room of directory.roomsOf(userId)) if (!rooms.has(room)) directory.membershipChanged(room, userId, false)
    const known = new Set(directory.roomsOf(userId))
    for (const room of rooms) if (!known.has(room)) directory.membershipChanged(room, userId, true)
    for (const change of seen?.slice(from) ?? [])
      if (change.userId === userId) directory.membershipChanged(change.roomId, change.userId, change.isMember)
  }

  async function resync(): Promise<void> {
    do {
      again = false
      seen = []
      const users = directory.connectedUsers()
      for (let i = 0; i < users.length; i += RESYNC_CONCURRENCY) await Promise.all(users.slice(i, i + RESYNC_CONCURRENCY).map(resyncUser))
      // the other members of their rooms (presence visibility) may have changed unseen too
      await directory.refreshRosters()
      seen = null
      logger.info({ users: users.length }, 'membership resynced after a gap in the feed')
      options.onResynced?.(users.length)
    } while (again)
  }

  const listener: MembershipListener = {
    change(change) {
      directory.membershipChanged(change.roomId, change.userId, change.isMember)
      seen?.push(change)
    },
    gap() {
      if (running) {
        again = true
        return
      }
      running = resync()
        .catch((err: unknown) => {
          logger.error({ err }, 'membership resync failed; retrying')
          seen = null
          setTimeout(() => listener.gap(), RETRY_MS).unref()
        })
        .finally(() => {
          running = null
        })
    }
  }
  return listener
}
