import { Router } from 'express';
import type { Pool } from '../../../platform/postgres';
import type { ApiConfig } from '../config';

/** Webhook subscriptions (see the webhook dispatcher issue). */
export function webhookEndpointRoutes(_deps: { pool: Pool; config: ApiConfig }): Router {
  return Router();
}
