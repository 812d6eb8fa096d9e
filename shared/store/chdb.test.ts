import { describe } from 'vitest';
import { chdbStore } from '../testing/fixtures.js';
import { storeContract } from './contract.js';

describe('chDB store', () => {
  storeContract(() => chdbStore());
});
