import { randomBytes } from 'node:crypto'
import { PasswordHasher } from './password-hasher.js'

/** Default bound of the hashing queue; `configurePasswordHashing` sets the configured one. */
const DEFAULT_QUEUE = 64

/** The process's one hashing thread (api/password-hasher.ts), shared by every node and route in it. */
const hasher = new PasswordHasher(DEFAULT_QUEUE)

export function configurePasswordHashing(options: { maxQueue: number }): void {
  hasher.setMaxQueue(options.maxQueue)
}

/** An argon2id hash (`$argon2id$v=19$m=19456,t=2,p=1$…`); `unavailable` when the queue is full. */
export function hashPassword(password: string): Promise<string> {
  return hasher.hash(password)
}

/** Checks a password against an argon2id hash or one made with scrypt before (`scrypt$N$r$p$salt$hash`). */
export function verifyPassword(password: string, stored: string): Promise<boolean> {
  return hasher.verify(password, stored)
}

/** Hashes of an older scheme are replaced at the next successful login. */
export function needsRehash(stored: string): boolean {
  return !stored.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')
}

let dummy: Promise<string> | null = null
/** A hash to verify against when the user does not exist, so that timing does not tell. */
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(randomBytes(12).toString('hex')).catch((error: unknown) => {
    dummy = null
    throw error
  })
  return dummy
}
