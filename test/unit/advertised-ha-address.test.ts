// The HA address a master advertises to its replicas: advertisedHost:haPort unless
// haAdvertisedAddress names another (NAT, container port mapping, proxy), which must be host:port.
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { advertisedHaAddress, isHaAddress } from '../../broker/replication/advertised-ha-address.js';

test('advertised HA address: advertisedHost:haPort by default, haAdvertisedAddress when given', () => {
  assert.equal(
    advertisedHaAddress({ advertisedHost: '10.0.0.7', haAdvertisedAddress: undefined }, 10912),
    '10.0.0.7:10912',
  );
  assert.equal(
    advertisedHaAddress({ advertisedHost: '10.0.0.7', haAdvertisedAddress: 'ha.example:31912' }, 10912),
    'ha.example:31912',
  );
});

test('advertised HA address: only host:port with a port of 1..65535 is one', () => {
  for (const good of ['127.0.0.1:10912', 'broker-a.internal:1', 'localhost:65535']) assert.ok(isHaAddress(good), good);
  for (const bad of ['', '127.0.0.1', ':10912', '127.0.0.1:0', '127.0.0.1:65536', 'host:12x', 'a b:10912'])
    assert.ok(!isHaAddress(bad), bad);
});

test.run();
