import { z } from 'zod'
import { ID_PATTERN } from '../core/ids.js'
import type { AccountsStore, User } from '../storage/accounts/accounts-store.js'
import { hashPassword } from './passwords.js'
import { validate } from './validate.js'

/** Minimum password length (issue 6, item 7); longer phrases beat composition rules. */
export const MIN_PASSWORD_LENGTH = 10

/**
 * C0/C1 controls and the Unicode bidi controls (embeddings, overrides, isolates, marks): in a
 * display name they forge what other users see ("Trojan Source", CVE-2021-42574).
 */
const UNSAFE_IN_NAMES = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu

/** The display name as stored: unsafe characters removed, runs of whitespace made one space. */
export function cleanDisplayName(name: string): string {
  return name.replace(UNSAFE_IN_NAMES, '').replace(/\s+/g, ' ').trim()
}

export const newUserSchema = z.object({
  username: z.string().regex(ID_PATTERN, 'must match [A-Za-z0-9_-]{1,64}'),
  password: z.string().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`).max(1024),
  displayName: z.string().max(100).optional()
})

export type NewUser = z.output<typeof newUserSchema>

/** Validates registration input without hashing anything (`invalid_request`). */
export function parseNewUser(input: unknown): NewUser {
  return validate(newUserSchema, input)
}

/**
 * Creates one user from untrusted input: validated (`invalid_request`), password hashed on the
 * hashing thread (`unavailable` when its queue is full), display name cleaned, id unique ignoring
 * case (`conflict`). Registration and the admin API both create users through here.
 */
export async function createNewUser(accounts: AccountsStore, input: unknown): Promise<User> {
  const { username, password, displayName } = parseNewUser(input)
  const user: User = {
    id: username,
    displayName: cleanDisplayName(displayName ?? '') || username,
    passwordHash: await hashPassword(password),
    createdAt: Date.now()
  }
  await accounts.createUser(user)
  return user
}
