// Locates files that ship beside the code (Avro schemas, SQL migrations) whether Passage runs from
// its TypeScript sources (tsx, vitest) or from the compiled dist/ folder.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/** The package root: the nearest folder above this module that holds package.json. */
export function packageRoot(): string {
  if (root !== null) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find package.json above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  root = dir;
  return dir;
}

export function assetPath(...segments: string[]): string {
  return path.join(packageRoot(), ...segments);
}
