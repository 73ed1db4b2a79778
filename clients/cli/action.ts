import { type Command, InvalidArgumentError } from 'commander'
import { ChatError } from '../sdk/index.js'
import { CliError } from './errors.js'
import type { CliContext, CommonOptions } from './session.js'

/** Adds `--url` and `--json` to a client command. */
export function withCommonOptions(command: Command): Command {
  return command
    .option('--url <url>', 'server HTTP URL (default: $MQCHAT_URL, else the server you logged in to, else http://localhost:8080)')
    .option('--json', 'print JSON for scripts instead of text')
}

/** The options of `command` and its parents (`mqchat rooms --json create x` works too); the innermost wins. */
export function optionsOf<T extends CommonOptions>(command: Command): T {
  const chain: Command[] = []
  for (let current: Command | null = command; current; current = current.parent) chain.unshift(current)
  const merged: Record<string, unknown> = {}
  for (const link of chain) {
    for (const [key, value] of Object.entries(link.opts())) if (value !== undefined) merged[key] = value
  }
  return merged as T
}

/**
 * Runs a client command: a user error becomes one line `mqchat: <message>` on stderr and exit code 1;
 * a rejected token adds a hint to log in again (`loginHint: false` for `mqchat login` itself).
 * Anything else is a bug and propagates with its stack trace.
 */
export function clientAction<A extends unknown[]>(
  ctx: CliContext,
  run: (...args: A) => Promise<void>,
  { loginHint = true } = {}
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await run(...args)
    } catch (error) {
      if (!(error instanceof CliError || error instanceof ChatError)) throw error
      const hint =
        loginHint && error instanceof ChatError && error.status === 401 && error.code === 'unauthenticated' ? ' (run `mqchat login`)' : ''
      ctx.stderr.write(`mqchat: ${error.message}${hint}\n`)
      process.exitCode = 1
    }
  }
}

/** Parses a non-negative integer option such as `--after 12`. */
export function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number (0, 1, 2, ...)')
  return Number(value)
}

/** Parses a positive integer option such as `--limit 20`. */
export function positiveInt(value: string): number {
  const n = nonNegativeInt(value)
  if (n === 0) throw new InvalidArgumentError('expected a whole number of at least 1')
  return n
}
