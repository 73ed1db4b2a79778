import { Command } from 'commander'
import { registerServerCommands } from './main.js'

/**
 * The compiled entry point (`npm run build` -> dist/server/server/cli.js): only the server commands,
 * which bin/mqchat.js sends here when the build is at least as new as the sources.
 */
const program = new Command().name('mqchat').description('Chat broker and bridge on MQTT')
registerServerCommands(program)
await program.parseAsync(process.argv)
