/**
 * The log reader and schema against log-format.md: every kind of bad line is an error naming the
 * line (counting every line from 1), the field and what was expected; nothing after it is applied.
 */
import { describe, expect, it } from 'vitest';
import { LogInputError } from '../../src/log/errors.ts';
import { parseLine } from '../../src/log/parse-line.ts';
import { parseLines, parseLogText } from '../../src/log/read.ts';
import { replayItems } from '../../src/replay.ts';

const HEADER = '{"log":"viommu-model","version":1,"platform":{"viommu":"none"}}';

/** The error parsing `text` raises; fails the test if it parses. */
function errorOf(text: string): LogInputError {
  try {
    parseLogText(text);
  } catch (error) {
    if (error instanceof LogInputError) return error;
    throw error;
  }
  throw new Error(`expected a LogInputError for:\n${text}`);
}

function lineError(json: string): LogInputError {
  return errorOf(`${HEADER}\n${json}`);
}

describe('log reader: bad lines', () => {
  it('malformed JSON names the line', () => {
    const error = lineError('{"type":"iommufd.ioas_alloc"');
    expect(error.line).toBe(2);
    expect(error.field).toBeUndefined();
    expect(error.message).toMatch(/^line 2: malformed JSON/);
  });

  it('a line that is JSON but not an object is refused', () => {
    expect(lineError('[1,2]').message).toMatch(/line 2: expected a JSON object/);
    expect(lineError('"iommufd.close"').line).toBe(2);
  });

  it('an unknown event type names the type field', () => {
    const error = lineError('{"type":"iommufd.frobnicate"}');
    expect([error.line, error.field]).toEqual([2, 'type']);
    expect(error.message).toContain('unknown event type "iommufd.frobnicate"');
  });

  it('a missing or non-string type names the type field', () => {
    expect(lineError('{"id":1}').field).toBe('type');
    expect(lineError('{"type":7}').field).toBe('type');
  });

  it('an unknown field is named, also inside nested objects', () => {
    const error = lineError('{"type":"iommufd.ioas_alloc","colour":"red"}');
    expect([error.field, error.problem]).toEqual(['colour', 'unknown field']);
    const nested = lineError(
      '{"type":"iommufd.hwpt_alloc","dev_id":1,"pt_id":2,"data_type":"SELFTEST","data":{"iotlb":0,"extra":1}}',
    );
    expect(nested.field).toBe('data.extra');
  });

  it('a wrong field type names the field and what was expected', () => {
    const error = lineError('{"type":"iommufd.destroy","id":true}');
    expect(error.field).toBe('id');
    expect(error.message).toContain('an object ID (unsigned 32-bit integer) or a "$name"');
    expect(lineError('{"type":"vfio.bind","dev":"d","pasid":"yes"}').field).toBe('pasid');
    expect(lineError('{"type":"iommufd.destroy","id":"seven"}').field).toBe('id');
  });

  it('numbers out of range are refused: IDs are u32, depth is u32, no fractions', () => {
    expect(lineError('{"type":"iommufd.destroy","id":4294967296}').field).toBe('id');
    expect(lineError('{"type":"iommufd.destroy","id":-1}').field).toBe('id');
    expect(lineError('{"type":"iommufd.destroy","id":1.5}').field).toBe('id');
    expect(
      lineError('{"type":"iommufd.veventq_alloc","viommu_id":1,"veventq_type":"SELFTEST","depth":-1}').field,
    ).toBe('depth');
    expect(parseLogText(`${HEADER}\n{"type":"iommufd.destroy","id":4294967295}`)).toHaveLength(2);
  });

  it('an unknown enum name or errno in expect is refused', () => {
    expect(
      lineError('{"type":"iommufd.viommu_alloc","dev_id":1,"hwpt_id":2,"viommu_type":"VTD"}').field,
    ).toBe('viommu_type');
    expect(lineError('{"type":"iommufd.ioas_alloc","expect":"EWHATEVER"}').field).toBe('expect');
  });

  it.each(['__proto__', 'constructor', 'prototype'])('the key %s is refused, at any depth', (key) => {
    expect(lineError(`{"type":"iommufd.ioas_alloc","${key}":{}}`).field).toBe(key);
    const deep = lineError(
      `{"type":"iommufd.hwpt_alloc","dev_id":1,"pt_id":2,"data_type":"SELFTEST","data":{"${key}":1}}`,
    );
    expect(deep.field).toBe(`data.${key}`);
    expect(deep.problem).toBe('this key is not allowed in a log');
  });

  it('a header that is not the first non-comment line is refused', () => {
    const error = errorOf(`{"type":"iommufd.ioas_alloc"}\n${HEADER}`);
    expect([error.line, error.field]).toEqual([2, 'log']);
    expect(error.problem).toContain('header must be the first non-comment line');
  });

  it('a bad header names its field', () => {
    expect(errorOf('{"log":"viommu-model","version":2}').field).toBe('version');
    expect(errorOf('{"log":"viommu-model","version":1,"platform":{"viommu":"none","x":1}}').field).toBe(
      'platform.x',
    );
  });
});

describe('log reader: good lines', () => {
  it('comments and blank lines are skipped, and line numbers count every line', () => {
    const text = [
      '# a comment',
      '',
      HEADER,
      '   # indented comment',
      '   ',
      '{"type":"iommufd.ioas_alloc"}',
    ].join('\n');
    const items = parseLogText(text);
    expect(items.map((item) => [item.kind, item.line])).toEqual([
      ['header', 3],
      ['event', 6],
    ]);
    expect(errorOf(`${text}\n\n# c\n{"type":"nope"}`).line).toBe(9);
  });

  it('without a header the default platform (intel-iommu with x-flts) applies, at line 0', () => {
    const items = parseLogText('{"type":"iommufd.ioas_alloc"}');
    expect(items[0]).toMatchObject({
      kind: 'header',
      line: 0,
      header: { platform: { viommu: 'intel-iommu', 'x-flts': true } },
    });
    expect(items[1]).toMatchObject({ kind: 'event', line: 1 });
  });

  it('64-bit values take hex strings up to 16 digits or safe integers, nothing else', () => {
    const ok = (virt: string) =>
      parseLine(`{"type":"iommufd.vdevice_alloc","viommu_id":1,"dev_id":2,"virt_id":${virt}}`, 1, true);
    expect(ok('"0xFFFFffffFFFFffff"').kind).toBe('event');
    expect(ok('9007199254740991').kind).toBe('event');
    for (const bad of ['"0x10000000000000000"', '"100"', '"0x"', '9007199254740992', '"-0x1"']) {
      expect(() => ok(bad), bad).toThrow(/field "virt_id"/);
    }
  });

  it('$name references are syntax-checked by the schema', () => {
    expect(lineError('{"type":"iommufd.destroy","id":"$1bad"}').field).toBe('id');
    expect(lineError('{"type":"iommufd.ioas_alloc","as":"$x"}').field).toBe('as');
  });
});

describe('log reader: replay stops at the first bad line', () => {
  it('a $name never bound is an input error naming the line and field; nothing after it is applied', () => {
    const lines = [
      HEADER,
      '{"type":"iommufd.ioas_alloc","as":"ioas"}',
      '{"type":"iommufd.destroy","id":"$iosa"}',
      '{"type":"iommufd.destroy","id":"$ioas"}',
    ];
    const { summary, world } = replayItems(parseLines(lines));
    expect(summary.inputError).toMatchObject({ line: 3, field: 'id' });
    expect(summary.inputError?.message).toContain('"$iosa" is not bound');
    expect(summary.events).toBe(1);
    expect(world.kernel.objects[1]?.type).toBe('IOAS');
  });

  it('a schema error mid-log stops the replay there; earlier events stay applied', () => {
    const lines = [
      HEADER,
      '{"type":"iommufd.ioas_alloc"}',
      '{"type":"iommufd.ioas_alloc","x":1}',
      '{"type":"iommufd.ioas_alloc"}',
    ];
    const { summary } = replayItems(parseLines(lines));
    expect(summary.inputError).toMatchObject({ line: 3, field: 'x' });
    expect(summary.events).toBe(1);
    expect(summary.live.map((o) => o.id)).toEqual([1]);
  });
});
