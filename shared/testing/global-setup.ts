// vitest global setup: finds Kafka, the Schema Registry and ClickHouse once per run (see infra.ts),
// prints how each was found or why its tests skip, and hands the addresses to the tests.

import type { TestProject } from 'vitest/node';
import { findInfra, type Found } from './infra.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[] | null;
    registryUrl: string | null;
    clickhouse: { url: string; user: string; password: string } | null;
  }
}

function report(name: string, f: Found<unknown>, required: boolean): void {
  if (f.ok) process.stdout.write(`[infra] ${name}: ${f.how}\n`);
  else {
    process.stdout.write(`[infra] ${name}: SKIPPING its tests — ${f.reason}\n`);
    if (required) throw new Error(`${name} is required (REQUIRE_* is set) but not available: ${f.reason}`);
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = process.env;
  const infra = await findInfra(env);
  try {
    report('Kafka', infra.kafka, env.REQUIRE_KAFKA === '1');
    report('Schema Registry', infra.registry, env.REQUIRE_SCHEMA_REGISTRY === '1');
    report('ClickHouse server', infra.clickhouse, env.REQUIRE_CLICKHOUSE === '1');
  } catch (err) {
    await infra.stop();
    throw err;
  }
  project.provide('kafkaBrokers', infra.kafka.ok ? infra.kafka.value.brokers : null);
  project.provide('registryUrl', infra.registry.ok ? infra.registry.value.url : null);
  project.provide('clickhouse', infra.clickhouse.ok ? infra.clickhouse.value : null);
  return () => infra.stop();
}
