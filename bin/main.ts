import { Command } from 'commander'
import { registerBenchCommand } from '../bench/command.js'
import { registerClientCommands } from '../clients/cli/client-commands.js'
import { registerServerCommands } from '../server/main.js'

const program = new Command().name('mqchat').description('Chat broker and bridge on MQTT')

registerServerCommands(program)
registerClientCommands(program, { env: process.env, stdout: process.stdout, stderr: process.stderr })
registerBenchCommand(program)

await program.parseAsync(process.argv)
