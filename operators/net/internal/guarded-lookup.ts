// A `lookup` for http.request that resolves the name itself and refuses the whole connection if
// ANY resolved address is blocked. The socket then connects only to the addresses we checked, so
// a DNS answer that changes between check and connect (rebinding) cannot slip through.
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { AddressGuard } from './address-guard.ts';
import { FetchError } from './fetch-error.ts';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Name resolution, injectable so tests can play a hostile DNS server. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dns.lookup(hostname, { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });

export function guardedLookup(guard: AddressGuard, url: string, resolver: Resolver): LookupFunction {
  const lookup = (hostname: string, options: { all?: boolean; family?: number | string }, callback: (...args: unknown[]) => void): void => {
    resolver(hostname).then(
      (all) => {
        const family = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
        const addresses = family === 0 ? all : all.filter((a) => a.family === family);
        if (addresses.length === 0) {
          callback(new FetchError('DNS_FAILED', url, `Host \`${hostname}\` resolved to no usable address`));
          return;
        }
        for (const a of addresses) {
          const range = guard.blockedRange(a.address);
          if (range !== undefined) {
            callback(new FetchError('SSRF_BLOCKED', url, `Host \`${hostname}\` resolves to ${a.address} (${range} range), which is not allowed`));
            return;
          }
        }
        const first = addresses[0]!;
        if (options.all === true) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => {
        const temporary = err.code === 'EAI_AGAIN';
        callback(new FetchError('DNS_FAILED', url, `Cannot resolve host \`${hostname}\`: ${err.code ?? err.message}`, { cause: err, retryable: temporary }));
      },
    );
  };
  return lookup as unknown as LookupFunction;
}
