import { describe } from 'vitest';
import { LocalSchemaRegistry } from './local.js';
import { codecContract } from './contract.js';

describe('in-process schema registry', () => {
  const codec = new LocalSchemaRegistry();
  codecContract(() => codec);
});
