// heapgate's version, read once from package.json so run-meta.json records what produced it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../model/paths.js';

export const HEAPGATE_VERSION: string = (
  JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;
