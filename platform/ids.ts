import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';

/** Time-ordered ids (UUIDv7): index-friendly and usable as pagination cursors. */
export const newId = (): string => uuidv7();

const TRANSFER_NAMESPACE = '6f1d7c36-3f2e-4b8e-9a53-0c3b1c9e6a41';

/** The id of a transfer whose command did not name one: the same for every redelivery. */
export const deriveTransferId = (tenantId: string, idempotencyKey: string): string =>
  uuidv5(`${tenantId}\n${idempotencyKey}`, TRANSFER_NAMESPACE);
