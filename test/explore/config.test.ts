/**
 * Configuration files: every named example parses; bad ones are refused with the line and the
 * field named, and the explore command exits 2 for them without printing a result.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { ConfigError, parseConfig } from '../../src/explore/config.ts';

const root = join(import.meta.dirname, '..', '..');
const examples = join(root, 'examples/explore');

function errorOf(text: string): ConfigError {
  try {
    parseConfig(text, 'test');
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

const vtd = (extra: string) =>
  [
    '{',
    '  "explore": 1,',
    '  "model": "vtd",',
    '  "variant": "upstream",',
    '  "devices": ["nic0"],',
    extra,
    '}',
  ].join('\n');

describe('explore configurations', () => {
  it('parses every named configuration in examples/explore', () => {
    const names = readdirSync(examples).filter((name) => name.endsWith('.json'));
    expect(names.length).toBeGreaterThanOrEqual(5);
    for (const name of names) {
      const config = parseConfig(readFileSync(join(examples, name), 'utf8'), name.replace(/\.json$/, ''));
      expect(config.name).toBe(name.replace(/\.json$/, ''));
    }
  });

  it('reads the VT-d symmetry field: devices by default, [] to turn it off, anything else refused', () => {
    expect(parseConfig(vtd('  "pasidEntries": []'), 'test')).toMatchObject({ symmetry: ['devices'] });
    expect(parseConfig(vtd('  "pasidEntries": [],\n  "symmetry": []'), 'test')).toMatchObject({
      symmetry: [],
    });
    const bad = errorOf(vtd('  "pasidEntries": [],\n  "symmetry": ["slots"]'));
    expect([bad.line, bad.field]).toEqual([7, 'symmetry[0]']);
  });

  it('names the line and field of a bad value', () => {
    const bad = errorOf(
      vtd('  "pasidEntries": [{ "pgtt": "FST", "fsptptr": "0x1000" },\n    { "pgtt": "XYZ" }]'),
    );
    expect(bad.line).toBe(7);
    expect(bad.field).toMatch(/^pasidEntries\[1\]/);
    const count = errorOf(
      vtd('  "pasidEntries": [],\n  "failures": [{ "op": "attach", "errno": "EINVAL", "count": 0 }]'),
    );
    expect([count.line, count.field]).toEqual([7, 'failures[0].count']);
    const op = errorOf(vtd('  "pasidEntries": [],\n  "failures": [{ "op": "reboot", "errno": "EINVAL" }]'));
    expect(op.line).toBe(7);
    expect(op.field).toMatch(/^failures\[0\]/);
  });

  it('refuses unknown fields, wrong models, bad symmetry and broken JSON', () => {
    expect(errorOf('{"explore":1,"model":"toy","devices":2,"slots":2,\n"colour":"red"}')).toMatchObject({
      line: 2,
      field: 'colour',
    });
    expect(errorOf('{"explore":1,\n"model":"tla"}')).toMatchObject({ line: 2, field: 'model' });
    expect(errorOf('{"explore":1,"model":"toy","devices":2,"slots":2,\n"symmetry":["slots"]}')).toMatchObject(
      {
        line: 2,
        field: 'symmetry',
      },
    );
    expect(errorOf('{"explore":1,"model":"toy",\n"devices":99,"slots":2}')).toMatchObject({
      line: 2,
      field: 'devices',
    });
    expect(errorOf('{"explore":1,\n\n"model":"toy",,}').line).toBe(3);
    expect(errorOf('{"explore":2,"model":"toy","devices":1,"slots":1}').field).toBe('explore');
    expect(
      errorOf('{"explore":1,"model":"vtd","variant":"upstream","devices":["a","a"],"pasidEntries":[]}').field,
    ).toBe('devices');
    expect(
      errorOf('{"explore":1,"model":"toy","devices":1,"slots":1,\n"invariants":["no-such-rule"]}'),
    ).toMatchObject({ line: 2, field: 'invariants[0]' });
  });

  it('names the line and field of a bad SMMUv3 configuration', () => {
    const smmu = (extra: string) =>
      `{"explore":1,"model":"smmuv3","variant":"fixed",\n"devices":[{"dev":"nic0","bdf":"0000:01:00.0"}],\n${extra}}`;
    expect(errorOf(smmu('"stes":[{"valid":true,"config":"s9"}]'))).toMatchObject({ line: 3 });
    expect(errorOf(smmu('"stes":[{"valid":true,"config":"s9"}]')).field).toMatch(/^stes\[0\]/);
    expect(errorOf(smmu('"stes":[],\n"commands":["CFGI_STE","REBOOT"]'))).toMatchObject({
      line: 4,
      field: 'commands[1]',
    });
    expect(errorOf(smmu('"stes":[],\n"boot":[{"type":"smmu.cr0"}]'))).toMatchObject({ line: 4 });
    const twice = errorOf(
      '{"explore":1,"model":"smmuv3","variant":"fixed","stes":[],\n"devices":[{"dev":"nic0","bdf":"0000:01:00.0"},\n{"dev":"nic1","bdf":"0000:01:00.0","hotplug":true}]}',
    );
    expect(twice.field).toBe('devices[1]');
    expect(
      errorOf(
        '{"explore":1,"model":"smmuv3","variant":"fixed","stes":[],\n"devices":[{"dev":"nic0","bdf":"0000:01:00.0","hotplug":true}]}',
      ).field,
    ).toBe('devices[0].hotplug');
    const second = (device: string) =>
      errorOf(
        `{"explore":1,"model":"smmuv3","variant":"fixed","stes":[],\n"devices":[{"dev":"nic0","bdf":"0000:01:00.0"},\n${device}]}`,
      );
    expect(second('{"dev":"nic1","bdf":"0000:02:00.0","hotplug":true,"iommu":"two smmus"}')).toMatchObject({
      line: 3,
      field: 'devices[1].iommu',
    });
    expect(second('{"dev":"nic1","bdf":"0000:02:00.0","iommu":7}').field).toBe('devices[1].iommu');
    expect(second('{"dev":"nic1","bdf":"0000:02:00.0","unplug":"yes"}')).toMatchObject({
      line: 3,
      field: 'devices[1].unplug',
    });
    expect(second('{"dev":"nic1","bdf":"0000:02:00.0","hotplug":true,"unplug":false}').field).toBe(
      'devices[1].unplug',
    );
  });

  it('exits 2 on a bad configuration with the line and field on stderr, and nothing on stdout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'explore-config-'));
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{"explore":1,"model":"toy",\n"devices":2,\n"slots":"two"}\n');
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['explore', path], { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err.join('\n')).toContain('line 3: field "slots"');
    expect(await main(['explore'], { stdout: () => {}, stderr: (t) => err.push(t) })).toBe(2);
    expect(await main(['explore', path, '--depth', 'x'], { stdout: () => {}, stderr: () => {} })).toBe(2);
  });
});
