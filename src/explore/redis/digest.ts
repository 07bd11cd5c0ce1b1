/** What a run explores, as a digest: a worker whose configuration differs from the coordinator's refuses to join. */
import { createHash } from 'node:crypto';
import type { ExploreConfig } from '../config.ts';

export const configDigest = (config: ExploreConfig, symmetry: boolean): string =>
  createHash('sha256').update(JSON.stringify({ config, symmetry })).digest('hex');
