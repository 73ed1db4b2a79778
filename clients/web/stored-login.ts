/** The signed-in user, kept in localStorage so a reload stays signed in. */
export interface StoredLogin {
  userId: string
  displayName: string
  token: string
}

const KEY = 'mqchat.login'

export function readLogin(): StoredLogin | null {
  const text = localStorage.getItem(KEY)
  if (!text) return null
  try {
    const value = JSON.parse(text) as Partial<StoredLogin>
    if (typeof value.userId === 'string' && typeof value.token === 'string') {
      return { userId: value.userId, token: value.token, displayName: value.displayName ?? value.userId }
    }
  } catch (error) {
    console.warn('mqchat: ignoring an unreadable stored login', error)
  }
  localStorage.removeItem(KEY)
  return null
}

export function saveLogin(login: StoredLogin): void {
  localStorage.setItem(KEY, JSON.stringify(login))
}

export function forgetLogin(): void {
  localStorage.removeItem(KEY)
}
