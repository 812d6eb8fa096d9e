import { describe, inject } from 'vitest';
import { uid } from '../testing/fixtures.js';
import { ClickHouseStore } from './clickhouse.js';
import { migrate } from './migrate.js';
import { storeContract } from './contract.js';

const ch = inject('clickhouse');

// Without a reachable ClickHouse server this suite skips; the global setup printed why
// (REQUIRE_CLICKHOUSE=1 makes that a failure).
describe.runIf(ch !== null)('ClickHouse server store (@clickhouse/client)', () => {
  storeContract(async () => {
    const store = new ClickHouseStore({ ...ch!, database: uid('db_') });
    await migrate(store);
    return store;
  });
});
