import { z } from 'zod';
import { SafeText, Timestamp, Uuid } from './primitives';

export const API_KEY_PREFIX = 'sk_live_';

export const CreateApiKeyRequest = z
  .object({ name: SafeText.trim().min(1).max(100).default('default') })
  .strict()
  .meta({ id: 'CreateApiKeyRequest' });

export const ApiKey = z
  .object({
    id: Uuid,
    name: z.string(),
    prefix: z.string().meta({ description: 'The first characters of the key, to recognise it' }),
    created_at: Timestamp,
    last_used_at: Timestamp.nullable(),
  })
  .meta({ id: 'ApiKey' });

export const ApiKeyCreated = ApiKey.extend({
  key: z.string().meta({ description: 'The secret key. Shown once: store it now.' }),
}).meta({ id: 'ApiKeyCreated' });

export type ApiKey = z.infer<typeof ApiKey>;
