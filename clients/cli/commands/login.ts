import { Command } from 'commander'
import { createRestClient } from '../../sdk/index.js'
import { clientAction, optionsOf, withCommonOptions } from '../action.js'
import { credentialsPath, readCredentials, writeCredentials } from '../credentials.js'
import { CliError } from '../errors.js'
import { type CliContext, type CommonOptions, printJson, resolveUrl } from '../session.js'

interface LoginOptions extends CommonOptions {
  password?: string
  register?: boolean
}

/** `mqchat login <username>`: gets a token over REST and keeps it, with the server URL, in the credentials file. */
export function loginCommand(ctx: CliContext): Command {
  return withCommonOptions(new Command('login'))
    .description('log in (with --register: create the account first) and store the token for the other commands')
    .argument('<username>', 'your user id')
    .option('--password <password>', 'your password (default: $MQCHAT_PASSWORD; never prompted)')
    .option('--register', 'create the account first')
    .action(
      clientAction(
        ctx,
        async (username: string, _options: LoginOptions, command: Command) => {
          const options = optionsOf<LoginOptions>(command)
          const password = options.password ?? ctx.env.MQCHAT_PASSWORD
          if (!password) throw new CliError('no password: pass --password <password> or set MQCHAT_PASSWORD')
          const path = credentialsPath(ctx.env)
          // a broken credentials file is replaced, not an obstacle to logging in again
          const previous = await readCredentials(path).catch(() => null)
          const url = resolveUrl(options.url, ctx.env, previous?.url)
          const api = createRestClient({ url })
          const answer = options.register ? await api.register(username, password) : await api.login(username, password)
          await writeCredentials(path, { url, username: answer.user.id, token: answer.token })
          if (options.json) return printJson(ctx, { url, user: answer.user, token: answer.token, credentialsFile: path })
          const registered = options.register ? 'registered and ' : ''
          ctx.stdout.write(`${registered}logged in to ${url} as ${answer.user.id}; token saved in ${path}\n`)
        },
        { loginHint: false }
      )
    )
}
