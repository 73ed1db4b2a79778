import { h } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import type { ChatError } from '../sdk/index.js'
import { ChatShell } from './chat-shell.js'
import { LoginForm } from './login-form.js'
import { ChatSession } from './session.js'
import { forgetLogin, readLogin, type StoredLogin } from './stored-login.js'

/** Signed out: the login form. Signed in: one ChatSession for as long as the login lasts. */
export function App() {
  const [login, setLogin] = useState<StoredLogin | null>(() => readLogin())
  const [session, setSession] = useState<ChatSession | null>(null)
  const [problem, setProblem] = useState<string | null>(null)

  useEffect(() => {
    if (!login) return
    const next = new ChatSession(login)
    let stale = false
    next.start().then(
      () => {
        if (!stale) setSession(next)
      },
      (error: ChatError) => {
        if (stale) return
        void next.stop()
        // a token the server no longer takes (expired, revoked, another server): sign in again
        if (error.code === 'unauthenticated') {
          forgetLogin()
          setLogin(null)
        }
        setProblem(`Could not connect: ${error.message}`)
      }
    )
    return () => {
      stale = true
      setSession(null)
      void next.stop()
    }
  }, [login])

  const signOut = () => {
    forgetLogin()
    setLogin(null)
  }

  if (!login) return h(LoginForm, { onLogin: setLogin, problem })
  if (!session) {
    return h(
      'main',
      { class: 'connecting' },
      h('p', { role: 'status' }, problem ?? 'Connecting…'),
      problem ? h('button', { type: 'button', onClick: signOut }, 'Sign out') : null
    )
  }
  return h(ChatShell, { session, onSignOut: signOut })
}
