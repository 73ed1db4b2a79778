import { Router } from 'express'
import { z } from 'zod'
import { MqchatError } from '../../core/errors.js'
import { SCOPES, SERVICE_ID_PREFIX, SERVICE_NAME_PATTERN } from '../../core/scopes.js'
import type { ApiKeyRecord } from '../../storage/credentials/credentials-store.js'
import { newApiKey } from '../api-keys.js'
import type { ApiDeps } from '../deps.js'
import { currentUser } from '../middleware/authenticate.js'
import { answer } from '../openapi/answer.js'
import { apiKeyListSchema, createdApiKeySchema } from '../openapi/answer-schemas.js'
import { validate } from '../validate.js'

export const createKeySchema = z.object({
  name: z.string().regex(SERVICE_NAME_PATTERN, 'must match [a-z0-9][a-z0-9-]{0,59}'),
  scopes: z.array(z.enum(SCOPES)).min(1).max(SCOPES.length)
})

/** What a service account's password hash is: no password ever verifies against it. */
const SERVICE_ACCOUNT = '!service'

const publicKey = ({ secretHash: _hash, ...key }: ApiKeyRecord) => ({ ...key, serviceId: `${SERVICE_ID_PREFIX}${key.name}` })

/**
 * /v1/admin/keys: create (the key text is in this one answer only), list and revoke service API
 * keys. A service's messages carry `from: "svc_<name>"`; that id is reserved as an account with
 * no password, so no user can register it and a user id already taken cannot become a service.
 */
export function adminKeyRoutes({ accounts, credentials }: ApiDeps): Router {
  const router = Router()

  router.post('/', async (req, res) => {
    const input = validate(createKeySchema, req.body)
    const serviceId = `${SERVICE_ID_PREFIX}${input.name}`
    const account = await accounts.getUser(serviceId)
    if (account && account.passwordHash !== SERVICE_ACCOUNT) throw new MqchatError('conflict', `${serviceId} is a user's id`)
    if (!account) {
      await accounts.createUser({ id: serviceId, displayName: input.name, passwordHash: SERVICE_ACCOUNT, createdAt: Date.now() })
    }
    const { id, text, secretHash } = newApiKey()
    const record: ApiKeyRecord = {
      id,
      name: input.name,
      scopes: [...new Set(input.scopes)],
      secretHash,
      createdAt: Date.now(),
      createdBy: currentUser(res.locals),
      revokedAt: null
    }
    await credentials.createApiKey(record)
    answer(res, createdApiKeySchema, { ...publicKey(record), key: text }, 201)
  })

  router.get('/', async (_req, res) => {
    answer(res, apiKeyListSchema, { keys: (await credentials.listApiKeys()).map(publicKey) })
  })

  router.delete('/:keyId', async (req, res) => {
    const key = /^[0-9a-f]{16}$/.test(req.params.keyId) ? await credentials.getApiKey(req.params.keyId) : null
    if (!key) throw new MqchatError('not_found', `no API key ${req.params.keyId}`)
    await credentials.revokeApiKey(key.id, Date.now())
    res.status(204).end()
  })

  return router
}
