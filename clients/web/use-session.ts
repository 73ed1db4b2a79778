import { useEffect, useReducer } from 'preact/hooks'
import type { ChatSession } from './session.js'

/** Re-renders the calling component whenever the session changes. */
export function useSession(session: ChatSession): void {
  const [, bump] = useReducer((n: number) => n + 1, 0)
  useEffect(() => session.subscribe(() => bump(undefined)), [session])
}
