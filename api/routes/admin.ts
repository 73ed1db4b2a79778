import { Router } from 'express'
import type { ApiDeps } from '../deps.js'
import { authenticate, requireScope } from '../middleware/authenticate.js'
import { adminKeyRoutes } from './admin-keys.js'
import { adminRoomRoutes } from './admin-rooms.js'
import { adminUserRoutes } from './admin-users.js'

/**
 * /v1/admin: for service keys with the `admin` scope (rooms also `rooms:admin`) and for admin
 * users (`mqchat admin create <username>`). Everything else gets 403.
 */
export function adminRoutes(deps: ApiDeps): Router {
  const router = Router()
  router.use(authenticate(deps))
  router.use('/rooms', requireScope(deps.credentials, 'rooms:admin'), adminRoomRoutes(deps))
  router.use(requireScope(deps.credentials, 'admin'))
  router.use('/users', adminUserRoutes(deps))
  router.use('/keys', adminKeyRoutes(deps))
  return router
}
