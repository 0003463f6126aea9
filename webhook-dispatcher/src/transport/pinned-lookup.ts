import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { isAddressAllowed, type Cidr } from '../domain/address-policy';

/** The host resolves only to addresses webhooks may not reach. Retried like any failed attempt. */
export class AddressNotAllowedError extends Error {
  readonly code = 'EADDRNOTALLOWED';
  constructor(
    readonly host: string,
    readonly addresses: string[],
  ) {
    super(
      `${host} resolves to ${addresses.join(', ') || 'nothing'}: not a public address and not allowlisted`,
    );
  }
}

/**
 * A DNS lookup for http.request that resolves once, drops every address the policy refuses and
 * hands the socket only the checked ones: the connection goes to the address that was checked,
 * so a second, rebinding answer never gets a say.
 */
export function pinnedLookup(allowlist: readonly Cidr[]): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(
      hostname,
      { all: true, family: options.family ?? 0, hints: options.hints ?? 0 },
      (error, found) => {
        if (error) return callback(error, '', 0);
        const addresses = found as LookupAddress[];
        const allowed = addresses.filter((a) => isAddressAllowed(a.address, allowlist));
        if (allowed.length === 0) {
          const refused = new AddressNotAllowedError(
            hostname,
            addresses.map((a) => a.address),
          );
          return callback(refused as NodeJS.ErrnoException, '', 0);
        }
        if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
        return callback(null, allowed[0]!.address, allowed[0]!.family);
      },
    );
  };
}
