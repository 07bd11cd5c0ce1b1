/**
 * The committed coverage reports (docs/coverage/) are current: every named configuration in
 * examples/explore/ has its .md and .json, each the same as exploring it again gives, no report is
 * left for a configuration that is gone, and the index lists them all. After changing a model, a
 * configuration or the report format: `npm run coverage:explore` (or with names, only those).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  namedConfigurations,
  renderCoverageIndex,
  renderNamedCoverage,
} from '../../src/explore/named-coverage.ts';

const root = join(import.meta.dirname, '..', '..');
const names = namedConfigurations(root);
const committed = (file: string) => readFileSync(join(root, 'docs/coverage', file), 'utf8');
const hint = (name: string) => `docs/coverage/${name} is stale: run npm run coverage:explore ${name}`;

describe('committed coverage reports', () => {
  it('one report per named configuration and an index of them all', () => {
    const reports = readdirSync(join(root, 'docs/coverage'))
      .filter((file) => file !== 'README.md')
      .sort();
    expect(reports).toEqual(names.flatMap((name) => [`${name}.json`, `${name}.md`]).sort());
    expect(committed('README.md')).toBe(renderCoverageIndex(root, names));
  });

  it('shows an unreached transition as a finding', () => {
    const report = JSON.parse(committed('smmuv3-fixed-one-device.json'));
    const never = report.machines.flatMap((machine: { edges: { taken: number }[] }) =>
      machine.edges.filter((edge) => edge.taken === 0),
    );
    expect(never.length).toBeGreaterThan(0);
    expect(report.findings).toBe(report.findingList.length);
    expect(committed('smmuv3-fixed-one-device.md')).toMatch(/^- \w+: edge `.+` never taken$/m);
  });

  for (const name of names)
    it(`${name} is current`, async () => {
      const files = await renderNamedCoverage(root, name);
      expect(files.json, hint(name)).toBe(committed(`${name}.json`));
      expect(files.markdown, hint(name)).toBe(committed(`${name}.md`));
    }, 1_800_000);
});
