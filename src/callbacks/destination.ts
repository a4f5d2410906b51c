import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { invalid, type DomainError } from '../domain/errors.js';

/**
 * Where a callback may go (SSRF protection). A callback URL is chosen by an API client, and the
 * server POSTs to it from inside the operator's network: without a check, any client could make the
 * server talk to its own admin ports, a database, the cloud metadata service (169.254.169.254) or
 * a router. So only http and https, and only public unicast addresses — unless the operator's
 * allow-list (CR_CALLBACK_ALLOW) names the address, its network or the host name.
 *
 * The check runs twice: at the API edge on the URL's literal address (a 400 naming `callback_url`,
 * or a group's `events_url`), and at every attempt on the addresses the host name resolves to; the
 * connection then goes to the address that was checked (never a second resolution a DNS rebinding could answer differently).
 */

export const CALLBACK_URL_MAX = 2048;

/** Why an address is not a public unicast one. */
export type AddressClass = 'unspecified' | 'loopback' | 'private' | 'link_local' | 'unique_local' | 'multicast' | 'cgnat' | 'reserved';

type Range = readonly [network: string, prefix: number, cls: AddressClass];

// IANA special-purpose registries (RFC 6890 and its updates); a refused class is named in the
// attempt log. 0.0.0.0/8 is "this network" (0.0.0.0 connects to the local host on Linux).
const V4: readonly Range[] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'cgnat'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link_local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  // 240/4, the reserved block, with 255.255.255.255 (broadcast) in it.
  ['240.0.0.0', 4, 'reserved'],
];
const V6: readonly Range[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['fe80::', 10, 'link_local'],
  // fec0::/10 is the deprecated site-local block: as private as unique-local in practice.
  ['fec0::', 10, 'unique_local'],
  ['fc00::', 7, 'unique_local'],
  ['ff00::', 8, 'multicast'],
  ['100::', 64, 'reserved'],
  // NAT64 local-use prefix (RFC 8215): translated by the operator's own gateway.
  ['64:ff9b:1::', 48, 'reserved'],
];

function blockListsOf(ranges: readonly Range[], family: 'ipv4' | 'ipv6'): [BlockList, AddressClass][] {
  return ranges.map(([net, prefix, cls]) => {
    const list = new BlockList();
    list.addSubnet(net, prefix, family);
    return [list, cls];
  });
}
const V4_LISTS = blockListsOf(V4, 'ipv4');
const V6_LISTS = blockListsOf(V6, 'ipv6');

/** The 8 16-bit groups of an IPv6 address (a zone id is ignored), or null when it is not one. */
function ipv6Groups(address: string): number[] | null {
  let text = address.replace(/%.*$/, '');
  if (isIP(text) !== 6) return null;
  // A trailing dotted quad (::ffff:10.0.0.1) as two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const part = (s: string) => (s === '' ? [] : s.split(':').map((h) => parseInt(h, 16)));
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array<number>(fill).fill(0), ...right];
  return groups.length === 8 ? groups : null;
}

/**
 * The IPv4 address an IPv6 address stands for, when it carries one: IPv4-mapped (::ffff:a.b.c.d,
 * which connects to the IPv4 address itself), IPv4-compatible (::a.b.c.d, deprecated) and the
 * well-known NAT64 prefix (64:ff9b::/96, translated to the IPv4 address by the network).
 */
export function embeddedIpv4(address: string): string | null {
  const g = ipv6Groups(address);
  if (!g) return null;
  const [g0, g1, g2, g3, g4, g5, g6 = 0, g7 = 0] = g;
  const mapped = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff;
  const compatible = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && (g6 !== 0 || g7 > 1);
  const nat64 = g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0;
  if (!mapped && !compatible && !nat64) return null;
  return `${g6 >> 8}.${g6 & 0xff}.${g7 >> 8}.${g7 & 0xff}`;
}

/** null for a public unicast address; otherwise why it is not one. Throws for a non-address. */
export function addressClass(address: string): AddressClass | null {
  const family = isIP(address.replace(/%.*$/, ''));
  if (family === 4) return V4_LISTS.find(([list]) => list.check(address, 'ipv4'))?.[1] ?? null;
  if (family !== 6) throw new Error(`not an IP address: ${address}`);
  const v4 = embeddedIpv4(address);
  if (v4 !== null) return addressClass(v4);
  const bare = address.replace(/%.*$/, '');
  return V6_LISTS.find(([list]) => list.check(bare, 'ipv6'))?.[1] ?? null;
}

/** An entry of CR_CALLBACK_ALLOW: an address, a network (CIDR) or a host name. */
export type AllowEntry = { kind: 'network'; address: string; prefix: number; family: 4 | 6 } | { kind: 'host'; name: string };

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/**
 * CR_CALLBACK_ALLOW: comma-separated addresses, CIDR networks and host names. An error names the
 * entry that is none of them.
 */
export function parseAllowList(text: string): { ok: true; entries: AllowEntry[] } | { ok: false; entry: string } {
  const entries: AllowEntry[] = [];
  for (const raw of text.split(',').map((x) => x.trim()).filter(Boolean)) {
    const [addr = '', prefixText, extra] = raw.split('/');
    const family = isIP(addr);
    if (family === 4 || family === 6) {
      const max = family === 4 ? 32 : 128;
      const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1;
      if (extra !== undefined || prefix < 0 || prefix > max) return { ok: false, entry: raw };
      entries.push({ kind: 'network', address: addr, prefix, family });
      continue;
    }
    const name = raw.toLowerCase().replace(/\.$/, '');
    if (prefixText !== undefined || !HOST_NAME.test(name)) return { ok: false, entry: raw };
    entries.push({ kind: 'host', name });
  }
  return { ok: true, entries };
}

/** A resolved destination: the address to connect to, checked. */
export interface Destination {
  address: string;
  family: 4 | 6;
}

export type Resolution =
  | { ok: true; destination: Destination }
  | { ok: false; error: 'destination_not_allowed'; detail: string }
  | { ok: false; error: 'dns_failed'; detail: string };

export interface DestinationPolicy {
  /**
   * For a URL host that is an IP literal: null when allowed, else why not. Undefined for a host
   * name (decided at delivery time, after DNS).
   */
  literalRefusal(host: string): AddressClass | null | undefined;
  /** The address a delivery connects to: resolved now, checked, the first allowed one. */
  resolve(host: string): Promise<Resolution>;
}

/** The URL's host as an address or name: brackets of an IPv6 literal removed, lower case. */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();

export function createDestinationPolicy(allow: readonly AllowEntry[], resolver: (host: string) => Promise<{ address: string; family: number }[]> = (host) => lookup(host, { all: true, verbatim: true })): DestinationPolicy {
  const networks = new BlockList();
  const hosts = new Set<string>();
  for (const e of allow) {
    if (e.kind === 'host') hosts.add(e.name);
    else networks.addSubnet(e.address, e.prefix, e.family === 4 ? 'ipv4' : 'ipv6');
  }
  const allowedAddress = (address: string): boolean => {
    const v4 = isIP(address) === 6 ? embeddedIpv4(address) : null;
    const bare = address.replace(/%.*$/, '');
    return networks.check(bare, isIP(bare) === 4 ? 'ipv4' : 'ipv6') || (v4 !== null && networks.check(v4, 'ipv4'));
  };
  /** null: allowed; else the class that refuses it. */
  const refusal = (address: string, host: string): AddressClass | null => {
    if (hosts.has(host) || allowedAddress(address)) return null;
    return addressClass(address);
  };
  return {
    literalRefusal(host) {
      return isIP(host) === 0 ? undefined : refusal(host, host);
    },
    async resolve(host) {
      if (isIP(host) !== 0) {
        const cls = refusal(host, host);
        return cls === null
          ? { ok: true, destination: { address: host, family: isIP(host) === 4 ? 4 : 6 } }
          : { ok: false, error: 'destination_not_allowed', detail: `${host} is ${cls.replace('_', '-')}` };
      }
      let found: { address: string; family: number }[];
      try {
        found = await resolver(host);
      } catch (e) {
        return { ok: false, error: 'dns_failed', detail: `${host}: ${(e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e))}` };
      }
      const refused: string[] = [];
      for (const { address } of found) {
        const cls = refusal(address, host);
        if (cls === null) return { ok: true, destination: { address, family: isIP(address) === 4 ? 4 : 6 } };
        refused.push(`${address} (${cls.replace('_', '-')})`);
      }
      if (refused.length === 0) return { ok: false, error: 'dns_failed', detail: `${host}: no addresses` };
      return { ok: false, error: 'destination_not_allowed', detail: `${host} resolves to ${refused.join(', ')}` };
    },
  };
}

/**
 * A callback URL as the API stores it, or the 400 naming `field` (a receipt's `callback_url`, a
 * group's `events_url`): absolute http(s), no credentials in it (the signature authenticates the
 * sender; a password in a URL ends up in logs), and not a literal address the policy refuses. Host
 * names pass here and are checked after DNS at each attempt, because what they resolve to may change.
 */
export function checkCallbackUrl(text: string, policy: DestinationPolicy, field = 'callback_url'): { url: string } | { error: DomainError } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { error: invalid(field, 'invalid_format', `${field} must be an absolute http or https URL`) };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { error: invalid(field, 'invalid_format', `${field} must be an absolute http or https URL`) };
  }
  if (url.username !== '' || url.password !== '') {
    return { error: invalid(field, 'invalid_format', `${field} must not carry credentials; verify the X-CR-Signature header instead`) };
  }
  if (url.href.length > CALLBACK_URL_MAX) return { error: invalid(field, 'too_long', `${field} must be at most ${CALLBACK_URL_MAX} characters`) };
  const cls = policy.literalRefusal(hostOf(url));
  if (cls !== undefined && cls !== null) {
    return { error: invalid(field, 'destination_not_allowed', `${field} points at a ${cls.replace('_', '-')} address; callbacks go to public addresses unless CR_CALLBACK_ALLOW allows it`) };
  }
  return { url: url.href };
}
