import { readFile } from 'node:fs/promises'
import { createSecureContext, type SecureContext } from 'node:tls'
import { ConfigError } from '../../core/errors.js'

export interface TlsFiles {
  certFile: string
  keyFile: string
}

/** A certificate and key read from PEM files, re-read on `reload` (SIGHUP). */
export interface TlsCredentials {
  readonly files: TlsFiles
  /** The PEM texts last loaded, for `tls.Server#setSecureContext`. */
  readonly pem: { cert: Buffer; key: Buffer }
  /** A context built from them, for sockets wrapped by hand. */
  readonly context: SecureContext
  /** Re-reads both files; on any problem throws and keeps serving the previous pair. */
  reload(): Promise<void>
  /** Called after each successful reload (the listeners swap their contexts). */
  onReload(listener: () => void): void
}

/** Both files or neither: one of them alone is a configuration error. */
export function tlsFilesOf(config: { MQCHAT_TLS_CERT?: string; MQCHAT_TLS_KEY?: string }): TlsFiles | null {
  const { MQCHAT_TLS_CERT: certFile, MQCHAT_TLS_KEY: keyFile } = config
  if (certFile && keyFile) return { certFile, keyFile }
  if (!certFile && !keyFile) return null
  throw new ConfigError([certFile ? 'MQCHAT_TLS_KEY: required with MQCHAT_TLS_CERT' : 'MQCHAT_TLS_CERT: required with MQCHAT_TLS_KEY'])
}

async function readPem(files: TlsFiles): Promise<{ pem: { cert: Buffer; key: Buffer }; context: SecureContext }> {
  const read = (variable: string, path: string) =>
    readFile(path).catch((error: NodeJS.ErrnoException) => {
      throw new ConfigError([`${variable}: cannot read ${path} (${error.code ?? error.message})`])
    })
  const [cert, key] = await Promise.all([read('MQCHAT_TLS_CERT', files.certFile), read('MQCHAT_TLS_KEY', files.keyFile)])
  try {
    return { pem: { cert, key }, context: createSecureContext({ cert, key }) }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new ConfigError([
      `MQCHAT_TLS_CERT/MQCHAT_TLS_KEY: ${files.certFile} and ${files.keyFile} are not a PEM certificate and its key (${reason})`
    ])
  }
}

/** Loads the pair once; a missing or bad file is a ConfigError naming the variable (one line at start). */
export async function loadTlsCredentials(files: TlsFiles): Promise<TlsCredentials> {
  let loaded = await readPem(files)
  const listeners: (() => void)[] = []
  return {
    files,
    get pem() {
      return loaded.pem
    },
    get context() {
      return loaded.context
    },
    async reload() {
      loaded = await readPem(files)
      for (const listener of listeners) listener()
    },
    onReload(listener) {
      listeners.push(listener)
    }
  }
}
