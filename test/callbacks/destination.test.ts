import { describe, expect, it } from 'vitest';
import { addressClass, checkCallbackUrl, createDestinationPolicy, embeddedIpv4, parseAllowList, type AllowEntry } from '../../src/callbacks/destination.js';
import { backoffDelay, nextStep, parseRetryAfter } from '../../src/callbacks/schedule.js';
import { signatureHeader, signingSecrets, PREVIOUS_SECRET_VALID_MS } from '../../src/callbacks/signing.js';
import { loadConfig } from '../../src/config.js';
import { verify } from './receiver.js';

const allow = (text: string): AllowEntry[] => {
  const r = parseAllowList(text);
  if (!r.ok) throw new Error(`bad entry ${r.entry}`);
  return r.entries;
};

describe('callback destinations (SSRF)', () => {
  it.each([
    ['93.184.216.34', null], ['8.8.8.8', null], ['2606:4700:4700::1111', null], ['64:ff9b::808:808', null],
    ['0.0.0.0', 'unspecified'], ['0.1.2.3', 'unspecified'], ['::', 'unspecified'],
    ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['::1', 'loopback'],
    ['10.0.0.1', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
    ['172.32.0.1', null], ['100.63.255.255', null], ['100.64.0.1', 'cgnat'], ['100.127.255.254', 'cgnat'], ['100.128.0.1', null],
    ['169.254.169.254', 'link_local'], ['fe80::1', 'link_local'], ['fe80::1%eth0', 'link_local'],
    ['fc00::1', 'unique_local'], ['fd12:3456::1', 'unique_local'], ['fec0::1', 'unique_local'],
    ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'], ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'], ['240.0.0.1', 'reserved'],
    // IPv4 inside IPv6: mapped, compatible and NAT64 connect to (or are translated to) the IPv4 address.
    ['::ffff:127.0.0.1', 'loopback'], ['::ffff:7f00:1', 'loopback'], ['::ffff:10.1.1.1', 'private'], ['::ffff:a9fe:a9fe', 'link_local'],
    ['::ffff:8.8.8.8', null], ['::10.0.0.1', 'private'], ['64:ff9b::192.168.0.1', 'private'], ['64:ff9b::7f00:1', 'loopback'],
  ])('classifies %s as %s', (address, cls) => {
    expect(addressClass(address)).toBe(cls);
  });

  it('reads the IPv4 address an IPv6 address carries, and only then', () => {
    expect(embeddedIpv4('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(embeddedIpv4('0:0:0:0:0:ffff:c000:0201')).toBe('192.0.2.1');
    expect(embeddedIpv4('64:ff9b::c000:201')).toBe('192.0.2.1');
    expect(embeddedIpv4('::1')).toBeNull();
    expect(embeddedIpv4('2001:db8::1')).toBeNull();
    expect(embeddedIpv4('10.0.0.1')).toBeNull();
  });

  it('parses CR_CALLBACK_ALLOW and refuses what is none of address, network, host name', () => {
    expect(allow(' 127.0.0.1/32, 10.0.0.0/8,::1, fd00::/8 ,Hooks.Internal. ')).toEqual([
      { kind: 'network', address: '127.0.0.1', prefix: 32, family: 4 },
      { kind: 'network', address: '10.0.0.0', prefix: 8, family: 4 },
      { kind: 'network', address: '::1', prefix: 128, family: 6 },
      { kind: 'network', address: 'fd00::', prefix: 8, family: 6 },
      { kind: 'host', name: 'hooks.internal' },
    ]);
    expect(allow('')).toEqual([]);
    for (const bad of ['10.0.0.0/33', '::1/129', '10.0.0.0/8/1', 'under_score.example', 'a..b', '10.0.0.0/x', 'host/24']) {
      expect(parseAllowList(bad), bad).toEqual({ ok: false, entry: bad });
    }
    expect(loadConfig([], { CR_CALLBACK_ALLOW: '127.0.0.1/32' }, { nodeId: 'n' }).callbackAllow).toHaveLength(1);
    expect(() => loadConfig([], { CR_CALLBACK_ALLOW: '127.0.0.1/40' }, { nodeId: 'n' })).toThrow(/CR_CALLBACK_ALLOW.*127\.0\.0\.1\/40/);
    expect(loadConfig([], {}, { nodeId: 'n' }).callbackRetryHours).toBe(24);
    expect(loadConfig(['--callback-retry-hours', '48'], {}, { nodeId: 'n' }).callbackRetryHours).toBe(48);
    expect(() => loadConfig([], { CR_CALLBACK_RETRY_HOURS: '0' }, { nodeId: 'n' })).toThrow(/CR_CALLBACK_RETRY_HOURS/);
  });

  it('resolves a host name and connects only to an address it allows', async () => {
    const dns: Record<string, string[]> = { 'public.example': ['93.184.216.34'], 'rebind.example': ['127.0.0.1', '93.184.216.34'], 'inside.example': ['10.0.0.5', '::1'], 'hooks.internal': ['10.9.9.9'] };
    const resolver = async (host: string) => {
      const found = dns[host];
      if (!found) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };
    const strict = createDestinationPolicy([], resolver);
    expect(await strict.resolve('public.example')).toEqual({ ok: true, destination: { address: '93.184.216.34', family: 4 } });
    // Only the allowed address is ever connected to.
    expect(await strict.resolve('rebind.example')).toEqual({ ok: true, destination: { address: '93.184.216.34', family: 4 } });
    expect(await strict.resolve('inside.example')).toMatchObject({ ok: false, error: 'destination_not_allowed', detail: 'inside.example resolves to 10.0.0.5 (private), ::1 (loopback)' });
    expect(await strict.resolve('nowhere.example')).toMatchObject({ ok: false, error: 'dns_failed', detail: 'nowhere.example: ENOTFOUND' });
    expect(await strict.resolve('169.254.169.254')).toMatchObject({ ok: false, error: 'destination_not_allowed' });

    const open = createDestinationPolicy(allow('10.0.0.0/8,hooks.internal,::1'), resolver);
    expect(await open.resolve('inside.example')).toEqual({ ok: true, destination: { address: '10.0.0.5', family: 4 } });
    expect(await open.resolve('hooks.internal')).toEqual({ ok: true, destination: { address: '10.9.9.9', family: 4 } });
    expect(await open.resolve('::ffff:10.1.2.3')).toMatchObject({ ok: true });
    expect(await open.resolve('192.168.0.1')).toMatchObject({ ok: false, error: 'destination_not_allowed' });
    expect(open.literalRefusal('::1')).toBeNull();
    expect(open.literalRefusal('hooks.internal')).toBeUndefined();
  });

  it('checks a callback URL at the API edge', () => {
    const policy = createDestinationPolicy(allow('192.168.5.0/24'));
    expect(checkCallbackUrl('https://Shop.Example.com:8443/cb?order=1#frag', policy)).toEqual({ url: 'https://shop.example.com:8443/cb?order=1#frag' });
    expect(checkCallbackUrl('http://192.168.5.20/cb', policy)).toEqual({ url: 'http://192.168.5.20/cb' });
    expect(checkCallbackUrl('http://localhost/cb', policy)).toEqual({ url: 'http://localhost/cb' });
    const refusal = (text: string) => {
      const r = checkCallbackUrl(text, policy);
      return 'error' in r ? r.error.errors[0] : null;
    };
    expect(refusal('http://192.168.6.1/')).toMatchObject({ field: 'callback_url', code: 'destination_not_allowed' });
    expect(refusal('http://[::1]:8080/')).toMatchObject({ code: 'destination_not_allowed' });
    expect(refusal('file:///etc/passwd')).toMatchObject({ code: 'invalid_format' });
    expect(refusal('https://a:b@example.com/')).toMatchObject({ code: 'invalid_format' });
    expect(refusal('/relative')).toMatchObject({ code: 'invalid_format' });
    // A group's events URL: the same rules, the error naming its own field.
    const events = checkCallbackUrl('http://192.168.6.1/', policy, 'events_url');
    expect('error' in events ? events.error.errors[0] : null).toMatchObject({ field: 'events_url', code: 'destination_not_allowed', message: expect.stringMatching(/^events_url /) as unknown });
    expect(checkCallbackUrl('https://ops.example.com/cr', policy, 'events_url')).toEqual({ url: 'https://ops.example.com/cr' });
  });
});

describe('callback retries', () => {
  const policy = { baseMs: 10_000, capMs: 3_600_000, windowMs: 24 * 3_600_000 };

  it('backs off exponentially with full jitter, first retry within ~10 s, never beyond 1 h', () => {
    expect(backoffDelay(1, policy, () => 0.999)).toBe(9990);
    expect(backoffDelay(1, policy, () => 0)).toBe(0);
    expect(backoffDelay(2, policy, () => 0.5)).toBe(10_000);
    expect(backoffDelay(4, policy, () => 0.5)).toBe(40_000);
    expect(backoffDelay(30, policy, () => 0.999)).toBe(3_596_400);
    expect(backoffDelay(1000, policy, () => 1)).toBe(3_600_000);
    // Full jitter: spread over the whole range.
    const draws = Array.from({ length: 2000 }, () => backoffDelay(3, policy));
    expect(Math.min(...draws)).toBeLessThan(4000);
    expect(Math.max(...draws)).toBeGreaterThan(36_000);
    expect(Math.max(...draws)).toBeLessThanOrEqual(40_000);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-06-01T12:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Mon, 01 Jun 2026 12:05:00 GMT', now)).toBe(300_000);
    expect(parseRetryAfter('Mon, 01 Jun 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('1.5', now)).toBeNull();
  });

  it('honours Retry-After within the cap, and retries until the window ends, the last attempt at its end', () => {
    const created = 1_000_000;
    expect(nextStep(1, created, created + 1000, null, policy, () => 0.5)).toEqual({ state: 'pending', nextAttemptAt: created + 1000 + 5000 });
    expect(nextStep(1, created, created + 1000, 120_000, policy, () => 0.5)).toEqual({ state: 'pending', nextAttemptAt: created + 1000 + 120_000 });
    // A Retry-After of a day is bounded by the cap.
    expect(nextStep(1, created, created + 1000, 86_400_000, policy, () => 0.5)).toEqual({ state: 'pending', nextAttemptAt: created + 1000 + 3_600_000 });
    // Near the end of the window: the next attempt is at its end, then it is over.
    const end = created + policy.windowMs;
    expect(nextStep(30, created, end - 60_000, null, policy, () => 0.9)).toEqual({ state: 'pending', nextAttemptAt: end });
    expect(nextStep(31, created, end, null, policy, () => 0.9)).toEqual({ state: 'failed' });
  });
});

describe('callback signatures', () => {
  it('signs "<timestamp>.<body>" with the current secret, and with the previous one for 24 h after a rotation', () => {
    const body = '{"id":1}';
    const headers = (secrets: string[]) => ({ 'x-cr-timestamp': '1780000000', 'x-cr-signature': signatureHeader(secrets, 1780000000, body) });
    // Known answer (openssl dgst -sha256 -hmac s1 over the same text).
    expect(headers(['s1'])['x-cr-signature']).toBe('v1=f58b474fbad39422008de1d47d67dfd7b94ba27e12ff3210c16ecd856becb609');
    expect(verify('s1', headers(['s1']), body)).toBe(true);
    expect(verify('s2', headers(['s1']), body)).toBe(false);
    expect(verify('s1', headers(['s1']), `${body} `)).toBe(false);
    expect(verify('s1', { ...headers(['s1']), 'x-cr-timestamp': '1780000001' }, body)).toBe(false);
    const both = headers(['new', 'old']);
    expect(both['x-cr-signature'].split(',')).toHaveLength(2);
    expect(verify('new', both, body) && verify('old', both, body)).toBe(true);

    const rotatedAt = 5_000_000;
    expect(signingSecrets({ current: 'new', previous: 'old', rotatedAt }, rotatedAt + 1000)).toEqual(['new', 'old']);
    expect(signingSecrets({ current: 'new', previous: 'old', rotatedAt }, rotatedAt + PREVIOUS_SECRET_VALID_MS)).toEqual(['new']);
    expect(signingSecrets({ current: 'only', previous: null, rotatedAt: null }, rotatedAt)).toEqual(['only']);
  });
});
