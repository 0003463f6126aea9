import type { Pool } from '../../../platform/postgres';
import { updateOwnAccount, type AccountChanges, type AccountRow } from '../data-access/accounts';
import { AccountClosed, AccountNotEmpty, ResourceNotFound } from '../domain/errors';

/**
 * Renames, re-labels, freezes, unfreezes or closes one of the tenant's customer accounts, under
 * the row lock the processor takes too, so a status change and a transfer never interleave.
 * @throws ResourceNotFound (no such account, a system account, or another tenant's), AccountClosed
 *   (closed is final), AccountNotEmpty (closing needs a zero balance)
 */
export async function updateAccount(
  pool: Pool,
  tenantId: string,
  accountId: string,
  changes: AccountChanges,
): Promise<AccountRow> {
  const result = await updateOwnAccount(pool, tenantId, accountId, changes);
  if ('row' in result) return result.row;
  switch (result.refused) {
    case 'not_found':
      throw new ResourceNotFound('account', accountId);
    case 'closed':
      throw new AccountClosed(accountId);
    case 'not_empty':
      throw new AccountNotEmpty(accountId);
  }
}
