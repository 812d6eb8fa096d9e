import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assetPath } from './assets.js';
import { ConfigError, loadConfig, SCRIPT_VARIABLES, SPEC } from './config.js';

describe('loadConfig', () => {
  it('has working defaults for embedded mode', () => {
    const c = loadConfig({});
    expect(c.server.port).toBe(8080);
    expect(c.timeZone).toBe('Europe/Copenhagen');
    expect(c.kafka).toBeNull();
    expect(c.clickhouse).toBeNull();
    expect(c.simulate).toBe(true);
    expect(c.processing.allowedLatenessMs).toBe(120_000);
  });

  it('names every bad variable and why', () => {
    let err: unknown;
    try {
      loadConfig({ PORT: 'eighty', PASSAGE_TIMEZONE: 'Mars/Olympus', KAFKA_BROKERS: 'localhost', PASSAGE_SIMULATE: 'maybe' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const vars = (err as ConfigError).problems.map((p) => p.variable).sort();
    expect(vars).toEqual(['KAFKA_BROKERS', 'PASSAGE_SIMULATE', 'PASSAGE_TIMEZONE', 'PORT']);
    expect((err as ConfigError).message).toContain('PASSAGE_TIMEZONE: must be an IANA time zone');
  });

  it('refuses unknown PASSAGE_ variables (typos) and half-configured stack mode', () => {
    expect(() => loadConfig({ PASSAGE_TIMEZNE: 'UTC' })).toThrow(/PASSAGE_TIMEZNE: is not a Passage setting/);
    expect(() => loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092' })).toThrow(/SCHEMA_REGISTRY_URL: is required when KAFKA_BROKERS is set/);
    expect(() => loadConfig({ PASSAGE_ADMIN_KEY: 'short' })).toThrow(/at least 16/);
  });

  it('reads stack mode settings', () => {
    const c = loadConfig({
      KAFKA_BROKERS: '127.0.0.1:19092, 127.0.0.1:19093',
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:18081/apis/ccompat/v7/',
      CLICKHOUSE_URL: 'http://127.0.0.1:8123',
      CLICKHOUSE_DATABASE: 'pm',
    });
    expect(c.kafka?.brokers).toEqual(['127.0.0.1:19092', '127.0.0.1:19093']);
    expect(c.schemaRegistryUrl).toBe('http://127.0.0.1:18081/apis/ccompat/v7');
    expect(c.clickhouse?.database).toBe('pm');
  });

  it('reads privacy release settings: defaults, per-dataset overrides, the secret', () => {
    expect(loadConfig({}).privacy).toEqual({ secret: '', secretFile: '', defaults: { k: 10, epsilon: 1, noise: 'on' }, datasets: {} });
    const c = loadConfig({
      PASSAGE_PRIVACY_K: '5',
      PASSAGE_PRIVACY_EPSILON: '0.5',
      PASSAGE_PRIVACY_NOISE: 'off',
      PASSAGE_PRIVACY_DATASETS: '{"flows":{"k":20,"epsilon":0.1,"noise":"on"},"footfall":{}}',
      PASSAGE_PRIVACY_SECRET: 'x'.repeat(32),
    });
    expect(c.privacy).toEqual({
      secret: 'x'.repeat(32),
      secretFile: '',
      defaults: { k: 5, epsilon: 0.5, noise: 'off' },
      datasets: { flows: { k: 20, epsilon: 0.1, noise: 'on' }, footfall: {} },
    });
    const bad: [Record<string, string>, RegExp][] = [
      [{ PASSAGE_PRIVACY_K: '0' }, /PASSAGE_PRIVACY_K: must be a positive integer/],
      [{ PASSAGE_PRIVACY_EPSILON: '-1' }, /PASSAGE_PRIVACY_EPSILON: must be a positive number/],
      [{ PASSAGE_PRIVACY_NOISE: 'maybe' }, /PASSAGE_PRIVACY_NOISE: must be on or off/],
      [{ PASSAGE_PRIVACY_DATASETS: '{"trips":{}}' }, /has no dataset "trips"/],
      [{ PASSAGE_PRIVACY_DATASETS: '{"flows":{"k":0.5}}' }, /flows.k must be an integer ≥ 1/],
      [{ PASSAGE_PRIVACY_DATASETS: '{"flows":{"delta":1}}' }, /flows has no setting "delta"/],
      [{ PASSAGE_PRIVACY_SECRET: 'short' }, /PASSAGE_PRIVACY_SECRET: must be at least 32 characters/],
      [{ PASSAGE_PRIVACY_SECRET: 'x'.repeat(32), PASSAGE_PRIVACY_SECRET_FILE: '/run/secret' }, /not both/],
    ];
    for (const [env, message] of bad) expect(() => loadConfig(env), JSON.stringify(env)).toThrow(message);
  });

  it('is documented: the README configuration table lists every variable', () => {
    const readme = readFileSync(assetPath('README.md'), 'utf8');
    for (const name of [...Object.keys(SPEC), ...SCRIPT_VARIABLES]) expect(readme, name).toContain(`\`${name}\``);
  });
});
