import type { Request } from 'express';
import { z } from 'zod';
import { validate } from './validate';

const IdParams = z.object({ id: z.uuid() });

/** The `:id` path parameter, a UUID. @throws ApiError validation_failed naming `id` */
export const idParam = (req: Request): string => validate(IdParams, req.params, 'path').id;
