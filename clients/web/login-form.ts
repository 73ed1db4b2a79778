import { h } from 'preact'
import { useState } from 'preact/hooks'
import { type ChatError, login, register } from '../sdk/index.js'
import { type StoredLogin, saveLogin } from './stored-login.js'

/** Sign in or create an account (REST /v1/auth/login and /register). */
export function LoginForm({ onLogin, problem }: { onLogin(login: StoredLogin): void; problem: string | null }) {
  const [mode, setMode] = useState<'login' | 'register'>('login')
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(problem)

  const submit = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const input = { url: location.origin, username: username.trim(), password }
      const answer = mode === 'login' ? await login(input) : await register(input)
      const stored = { userId: answer.user.id, displayName: answer.user.displayName ?? answer.user.id, token: answer.token }
      saveLogin(stored)
      onLogin(stored)
    } catch (failure) {
      setError(describe(failure as ChatError, mode))
      setBusy(false)
    }
  }

  const registering = mode === 'register'
  return h(
    'main',
    { class: 'login' },
    h('h1', null, 'mqchat'),
    h(
      'form',
      { onSubmit: submit, 'aria-describedby': error ? 'login-error' : undefined },
      h('h2', null, registering ? 'Create an account' : 'Sign in'),
      h('label', { for: 'username' }, 'Username'),
      h('input', {
        id: 'username',
        name: 'username',
        autocomplete: 'username',
        required: true,
        maxLength: 64,
        pattern: '[A-Za-z0-9_\\-]+',
        value: username,
        onInput: (e: Event) => setUsername((e.target as HTMLInputElement).value)
      }),
      h('label', { for: 'password' }, 'Password'),
      h('input', {
        id: 'password',
        name: 'password',
        type: 'password',
        autocomplete: registering ? 'new-password' : 'current-password',
        required: true,
        minLength: registering ? 10 : undefined,
        value: password,
        onInput: (e: Event) => setPassword((e.target as HTMLInputElement).value)
      }),
      registering ? h('p', { class: 'hint' }, 'At least 10 characters.') : null,
      error ? h('p', { id: 'login-error', class: 'error', role: 'alert' }, error) : null,
      h('button', { type: 'submit', disabled: busy }, registering ? 'Create account' : 'Sign in'),
      h(
        'button',
        { type: 'button', class: 'link', onClick: () => setMode(registering ? 'login' : 'register') },
        registering ? 'I have an account: sign in' : 'New here? Create an account'
      )
    )
  )
}

function describe(error: ChatError, mode: 'login' | 'register'): string {
  if (error.code === 'unauthenticated') return 'Wrong username or password.'
  if (error.code === 'conflict') return 'That username is taken.'
  if (error.code === 'rate_limited') return 'Too many attempts. Wait a moment and try again.'
  if (error.code === 'unreachable') return 'The server cannot be reached.'
  return `${mode === 'login' ? 'Sign-in' : 'Registration'} failed: ${error.message}`
}
