import { describe, inject } from 'vitest';
import { ConfluentSchemaRegistry } from './confluent.js';
import { codecContract } from './contract.js';

const url = inject('registryUrl');

// Skips only when no registry could be found; the global setup printed why, and
// REQUIRE_SCHEMA_REGISTRY=1 (CI) makes that a failure.
describe.runIf(url !== null)('real Schema Registry (Confluent-compatible API)', () => {
  codecContract(() => new ConfluentSchemaRegistry(url!));
});
