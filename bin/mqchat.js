#!/usr/bin/env node
// `mqchat dev|broker|bridge` run the compiled server (`npm run build` -> dist/server) when it is at least
// as new as every source file; everything else, and a fresh clone without a build, loads the TypeScript
// through tsx, so `npx mqchat` and `npm start` work with no build step.
import { readdirSync, statSync } from 'node:fs'

const SERVER_COMMANDS = new Set(['dev', 'broker', 'bridge'])
const COMPILED = new URL('../dist/server/server/cli.js', import.meta.url)
const SOURCE_DIRS = ['core', 'storage', 'broker', 'api', 'bridge', 'server', 'types']

/** Newest modification time (ms) of the .ts files under `dir`, or 0 when it does not exist. */
function newestSource(dir) {
  let newest = 0
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true, recursive: true })
  } catch (error) {
    if (error.code === 'ENOENT') return 0
    throw error
  }
  for (const entry of entries) {
    if (entry.isFile() && entry.name.endsWith('.ts')) {
      newest = Math.max(newest, statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs)
    }
  }
  return newest
}

function compiledIsCurrent() {
  let built
  try {
    built = statSync(COMPILED).mtimeMs
  } catch (error) {
    if (error.code === 'ENOENT') return false
    throw error
  }
  // a stale build (sources edited since) is skipped quietly: the sources are what the user means to run
  const root = new URL('../', import.meta.url)
  return SOURCE_DIRS.every((dir) => newestSource(new URL(dir, root)) <= built)
}

if (SERVER_COMMANDS.has(process.argv[2] ?? '') && compiledIsCurrent()) {
  await import(COMPILED.href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import('./main.ts')
}
