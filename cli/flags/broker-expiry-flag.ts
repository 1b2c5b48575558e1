// `--broker-expiry-ms` of `namesrv` and `start`: how long a name server keeps a broker that
// stopped re-registering (brokers re-register every 30 s).
import type { FlagSpec } from '../command-line.js';

export const BROKER_EXPIRY_FLAG: FlagSpec = {
  type: 'integer',
  min: 1,
  description: 'forget a broker silent this long (it re-registers every 30 s)',
  defaultText: '120000',
};
