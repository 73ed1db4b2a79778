import { execFile } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { request } from 'node:https'
import { join } from 'node:path'
import { connect as connectTls } from 'node:tls'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** A throwaway self-signed certificate for localhost and 127.0.0.1, made by `openssl`. */
export interface TestCert {
  certFile: string
  keyFile: string
  pem: Buffer
  fingerprint256: string
}

/** Writes `<name>.crt` and `<name>.key` into `dir`. */
export async function makeCert(dir: string, name: string): Promise<TestCert> {
  const certFile = join(dir, `${name}.crt`)
  const keyFile = join(dir, `${name}.key`)
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-days',
    '1'
  ])
  const pem = await readFile(certFile)
  return { certFile, keyFile, pem, fingerprint256: new X509Certificate(pem).fingerprint256 }
}

/** The SHA-256 fingerprint of the certificate a TLS server on `port` presents to a new connection. */
export function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // no verification: this only reads what is served, whichever certificate it is
    const socket = connectTls({ port, host: '127.0.0.1', servername: 'localhost', rejectUnauthorized: false }, () => {
      const { fingerprint256 } = socket.getPeerCertificate()
      socket.destroy()
      resolve(fingerprint256)
    })
    socket.once('error', reject)
  })
}

/** One JSON request over HTTPS, trusting only `ca`. */
export function httpsJson(url: string, ca: Buffer, method: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (token) headers.authorization = `Bearer ${token}`
    const req = request(url, { method, ca, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString()
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}
