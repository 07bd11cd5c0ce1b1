/**
 * A key repeated in one JSON object is an input error naming the line and the key: JSON.parse
 * would keep the last value silently, so `{"type":"a","type":"b"}` would be an event nobody wrote.
 * The property holds the quote-count shortcut to the token scanner on generated JSON.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findDuplicateKey, scanDuplicateKey } from '../../src/log/duplicate-keys.ts';
import { parseLogText } from '../../src/log/read.ts';
import { runCli, tempFiles } from '../untrusted/helpers.ts';

const HEADER = '{"log":"viommu-model","version":1,"platform":{"viommu":"none"}}';

function messageOf(text: string): string {
  try {
    parseLogText(text);
  } catch (error) {
    return (error as Error).message;
  }
  return 'no error';
}

describe('duplicate keys', () => {
  it('"type" twice is an error naming the line and the key', () => {
    expect(messageOf(`${HEADER}\n# c\n{"type":"iommufd.ioas_alloc","type":"iommufd.close"}`)).toBe(
      'line 3: field "type": duplicate key (a JSON object may not repeat a key)',
    );
  });

  it('a repeated key inside a nested object names its path', () => {
    const line =
      '{"type":"iommufd.hwpt_alloc","dev_id":1,"pt_id":2,"data_type":"SELFTEST","data":{"iotlb":0,"iotlb":1}}';
    expect(messageOf(`${HEADER}\n${line}`)).toBe(
      'line 2: field "data.iotlb": duplicate key (a JSON object may not repeat a key)',
    );
  });

  it('in an array of objects, the path has the index; escapes in keys and values are read as JSON', () => {
    const line =
      '{"type":"iommufd.invalidate","id":1,"data_type":"SELFTEST","entries":[{"iotlb_id":1},{"a\\"b":"x\\\\","a\\u0022b":2}]}';
    expect(messageOf(`${HEADER}\n${line}`)).toBe(
      'line 2: field "entries.1.a"b": duplicate key (a JSON object may not repeat a key)',
    );
  });

  it('a duplicate in the header is refused too', () => {
    expect(messageOf('{"log":"viommu-model","version":1,"version":1}')).toMatch(
      /^line 1: field "version": duplicate key/,
    );
  });

  it('the replay command exits 2 and applies nothing of the line', async () => {
    const files = tempFiles('viommu-dup-');
    try {
      const file = files.write(
        `${HEADER}\n{"type":"iommufd.ioas_alloc"}\n{"type":"iommufd.ioas_alloc","as":"a","as":"b"}\n`,
      );
      const { code, out, err } = await runCli('replay', file);
      expect(code).toBe(2);
      expect(err.join('\n')).toContain('line 3: field "as": duplicate key');
      expect(out.join('\n')).not.toContain('line 3');
      const json = await runCli('replay', file, '--json');
      const summary = JSON.parse(json.out.at(-1)!).summary;
      expect([json.code, summary.exit, summary.events]).toEqual([2, 2, 1]);
    } finally {
      files.cleanup();
    }
  });

  it('the same key in different objects is no duplicate', () => {
    expect(
      findDuplicateKey(
        '{"a":{"a":1},"b":[{"a":1},{"a":2}]}',
        JSON.parse('{"a":{"a":1},"b":[{"a":1},{"a":2}]}'),
      ),
    ).toBeUndefined();
  });

  it('property: the quote-count shortcut and the scanner agree, and a repeated key is always found', () => {
    const key = fc.oneof(fc.constantFrom('type', 'a', 'b', 'a"b', 'x\\y', 'é'), fc.string({ maxLength: 3 }));
    const leaf = fc.oneof(fc.integer(), fc.string({ maxLength: 4 }), fc.boolean(), fc.constant(null));
    const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('tree'), { maxLength: 3 }),
        fc.array(fc.tuple(key, tie('tree')), { maxLength: 4 }).map((pairs) => ({ pairs })),
      ),
    }));
    // Objects are written by hand from their pairs, so a generated object may repeat a key.
    const write = (node: unknown): string => {
      if (Array.isArray(node)) return `[${node.map(write).join(',')}]`;
      if (node !== null && typeof node === 'object' && 'pairs' in node) {
        const pairs = (node as { pairs: [string, unknown][] }).pairs;
        return `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${write(v)}`).join(',')}}`;
      }
      return JSON.stringify(node);
    };
    const repeats = (node: unknown): boolean => {
      if (Array.isArray(node)) return node.some(repeats);
      if (node !== null && typeof node === 'object' && 'pairs' in node) {
        const pairs = (node as { pairs: [string, unknown][] }).pairs;
        return new Set(pairs.map(([k]) => k)).size < pairs.length || pairs.some(([, v]) => repeats(v));
      }
      return false;
    };
    fc.assert(
      fc.property(tree, (node) => {
        const text = write(node);
        const found = findDuplicateKey(text, JSON.parse(text));
        expect(found).toBe(scanDuplicateKey(text));
        expect(found !== undefined).toBe(repeats(node));
      }),
      { numRuns: 2000, seed: 15 },
    );
  });
});
