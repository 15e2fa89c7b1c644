// Decides whether an IP address may be contacted. Only globally routable unicast addresses pass
// by default; every special range ipaddr.js knows (private, loopback, link-local, unique-local,
// CGNAT, multicast, unspecified, reserved, NAT64/6to4/Teredo tunnels…) is refused unless an
// allowlisted CIDR covers it. Tunnel prefixes are refused because they can embed a private IPv4.
import ipaddr from 'ipaddr.js';
import { ConfigError, type ConfigProblem } from '../../../framework/errors/index.ts';

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

export interface AddressGuard {
  /** Undefined when the address may be contacted, else the name of the range that blocks it. */
  blockedRange(address: string): string | undefined;
}

export function createAddressGuard(allowPrivate: readonly string[] = []): AddressGuard {
  const problems: ConfigProblem[] = [];
  const allowed: Cidr[] = [];
  allowPrivate.forEach((text, i) => {
    try {
      allowed.push(ipaddr.parseCIDR(text));
    } catch {
      problems.push({ field: `allowPrivate[${i}]`, expected: 'a CIDR such as `127.0.0.0/8` or `::1/128`', received: text });
    }
  });
  if (problems.length > 0) throw new ConfigError(problems, 'safe-fetch options');

  return {
    blockedRange(address) {
      let parsed: ipaddr.IPv4 | ipaddr.IPv6;
      try {
        parsed = ipaddr.parse(stripBrackets(address));
      } catch {
        return 'unparseable';
      }
      // Judge an IPv4-mapped IPv6 address (::ffff:10.0.0.1) as the IPv4 address it is.
      if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
        parsed = (parsed as ipaddr.IPv6).toIPv4Address();
      }
      for (const cidr of allowed) {
        if (cidr[0].kind() === parsed.kind() && parsed.match(cidr)) return undefined;
      }
      const range = parsed.range();
      return range === 'unicast' ? undefined : range;
    },
  };
}

export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function isIpLiteral(host: string): boolean {
  return ipaddr.isValid(stripBrackets(host));
}
