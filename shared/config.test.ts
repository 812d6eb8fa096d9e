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

  it('is documented: the README configuration table lists every variable', () => {
    const readme = readFileSync(assetPath('README.md'), 'utf8');
    for (const name of [...Object.keys(SPEC), ...SCRIPT_VARIABLES]) expect(readme, name).toContain(`\`${name}\``);
  });
});
