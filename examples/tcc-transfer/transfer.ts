// The initiator: moves `amount` from an account of one service to an account of another as one
// TCC global transaction. Both tries freeze (debit) or hold (credit) the amount; the commit has
// the coordinator confirm both, and any failure rolls both back.
import { TccTransaction, type TccCoordinatorClient, type TccTransactionOptions } from '../../client/index.js';

export interface TransferSide {
  /** The TCC resource the account's service registered. */
  readonly resource: string;
  readonly account: string;
}

export async function transfer(
  coordinator: TccCoordinatorClient,
  from: TransferSide,
  to: TransferSide,
  amount: number,
  options: TccTransactionOptions = {},
): Promise<string> {
  let xid = '';
  await TccTransaction.run(
    coordinator,
    async (transaction) => {
      xid = transaction.xid;
      await transaction.try(from.resource, { account: from.account, delta: -amount });
      await transaction.try(to.resource, { account: to.account, delta: amount });
    },
    options,
  );
  return xid;
}
