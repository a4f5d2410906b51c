import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const load = (argv: string[], env: Record<string, string> = {}) => loadConfig(argv, env, { nodeId: 'n1' });

describe('configuration', () => {
  it('defaults to the embedded profile on 127.0.0.1:8080 with ./data', () => {
    const c = load([]);
    expect(c).toMatchObject({ profile: 'embedded', host: '127.0.0.1', port: 8080, publicUrl: 'http://127.0.0.1:8080', adminPassword: null });
    expect(c.dataDir).toMatch(/\/data$/);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads the contract variables, and flags win over them', () => {
    const env = { CR_PROFILE: 'test', CR_HOST: '0.0.0.0', CR_PORT: '9000', CR_PUBLIC_URL: 'https://kassa.example.ru/', CR_ADMIN_PASSWORD: 'pw12' };
    expect(load([], env)).toMatchObject({ profile: 'test', host: '0.0.0.0', port: 9000, publicUrl: 'https://kassa.example.ru', dataDir: null, adminPassword: 'pw12' });
    expect(load(['--port', '9001', '--public-url', 'http://x:1'], env)).toMatchObject({ port: 9001, publicUrl: 'http://x:1' });
  });

  it('trusts no proxy by default, and exactly the configured ones', () => {
    expect(load([]).trustProxy).toBe(false);
    expect(load([], { CR_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' }).trustProxy).toEqual(['127.0.0.1', '10.0.0.0/8']);
    expect(load([], { CR_TRUST_PROXY: '1' }).trustProxy).toBe(1);
  });

  it('uses admin/admin in the test profile and postgres when DATABASE_URL is set', () => {
    expect(load([], { CR_PROFILE: 'test' }).adminPassword).toBe('admin');
    expect(load([], { DATABASE_URL: 'postgres://u@h/db' })).toMatchObject({ profile: 'postgres', databaseUrl: 'postgres://u@h/db' });
  });

  it('turns every storage fast path on by default, and each one off on its own', () => {
    expect(load([]).fastPaths).toEqual({ groupCommit: true, readCache: true, precompiled: true, sqliteHandover: true });
    expect(load([], { CR_FAST_GROUP_COMMIT: 'off' }).fastPaths).toEqual({ groupCommit: false, readCache: true, precompiled: true, sqliteHandover: true });
    expect(load([], { CR_FAST_READ_CACHE: 'false', CR_FAST_PRECOMPILED: '0' }).fastPaths).toMatchObject({ readCache: false, precompiled: false, groupCommit: true });
    expect(load(['--fast-sqlite-handover', 'OFF'], { CR_FAST_SQLITE_HANDOVER: 'on' }).fastPaths.sqliteHandover).toBe(false);
    expect(Object.isFrozen(load([]).fastPaths)).toBe(true);
  });

  it.each([
    [['--port', 'abc'], {}, /CR_PORT.*integer/],
    [['--port', '70000'], {}, /CR_PORT.*between/],
    [[], { CR_PROFILE: 'prod' }, /CR_PROFILE/],
    [[], { CR_PROFILE: 'postgres' }, /DATABASE_URL.*required/],
    [[], { DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [[], { CR_PUBLIC_URL: 'ftp://x' }, /CR_PUBLIC_URL/],
    [['--bogus', '1'], {}, /bogus/],
    [[], { CR_ADMIN_PASSWORD: 'a' }, /CR_ADMIN_PASSWORD/],
    [[], { CR_LOG_LEVEL: 'loud' }, /CR_LOG_LEVEL/],
    [[], { CR_TRUST_PROXY: 'nginx' }, /CR_TRUST_PROXY/],
    [[], { CR_FAST_GROUP_COMMIT: 'maybe' }, /CR_FAST_GROUP_COMMIT.*on or off.*maybe/],
    [['--fast-read-cache', 'disabled'], {}, /CR_FAST_READ_CACHE \/ --fast-read-cache/],
  ] as [string[], Record<string, string>, RegExp][])('refuses %j %j with a clear message', (argv, env, message) => {
    expect(() => load(argv, env)).toThrow(ConfigError);
    expect(() => load(argv, env)).toThrow(message);
  });
});
