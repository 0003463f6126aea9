import { z } from 'zod';
import { SafeText, Timestamp, Uuid } from './primitives';
import { ApiKeyCreated } from './api-keys';

export const CreateTenantRequest = z
  .object({
    name: SafeText.trim().min(1).max(200),
    // The address pattern is ASCII only, so it holds no NUL or surrogate either.
    email: z.email().max(320),
  })
  .strict()
  .meta({ id: 'CreateTenantRequest' });

export const Tenant = z
  .object({ id: Uuid, name: z.string(), email: z.string(), created_at: Timestamp })
  .meta({ id: 'Tenant' });

export const TenantCreated = z
  .object({ tenant: Tenant, api_key: ApiKeyCreated })
  .meta({ id: 'TenantCreated', description: 'The tenant and its first API key; the key is shown only once' });

export type TenantCreated = z.infer<typeof TenantCreated>;
