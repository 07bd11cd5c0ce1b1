/**
 * ItemsOfBatches keeps an async generator's contract while skipping its per-item await: items in
 * order even when next() is called before the last promise settled, an error once then done,
 * and return()/break reaching the batches so the file is closed.
 */
import { describe, expect, it } from 'vitest';
import { ItemsOfBatches } from '../../src/log/item-stream.ts';

function source(batches: readonly number[][], failAfter?: number) {
  const state = { closed: false, pulled: 0 };
  async function* generate(): AsyncGenerator<number[]> {
    try {
      for (const batch of batches) {
        if (failAfter !== undefined && state.pulled === failAfter) throw new Error('bad line');
        state.pulled += 1;
        await Promise.resolve();
        yield batch;
      }
    } finally {
      state.closed = true;
    }
  }
  return { items: new ItemsOfBatches(generate()), state };
}

describe('ItemsOfBatches', () => {
  it('yields every item in order, skipping empty batches', async () => {
    const { items } = source([[1, 2], [], [3], [4, 5, 6]]);
    const seen: number[] = [];
    for await (const item of items) seen.push(item);
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await items.next()).toEqual({ value: undefined, done: true });
  });

  it('next() called many times without waiting still hands out items in order', async () => {
    const { items } = source([[1], [2, 3], [4]]);
    const results = await Promise.all(Array.from({ length: 6 }, () => items.next()));
    expect(results.map((result) => (result.done ? 'done' : result.value))).toEqual([
      1,
      2,
      3,
      4,
      'done',
      'done',
    ]);
  });

  it('an error from the batches comes after the items before it, once, then done', async () => {
    const { items } = source([[1, 2], [3]], 1);
    expect(await items.next()).toEqual({ value: 1, done: false });
    expect(await items.next()).toEqual({ value: 2, done: false });
    await expect(items.next()).rejects.toThrow('bad line');
    expect(await items.next()).toEqual({ value: undefined, done: true });
  });

  it('break closes the batches', async () => {
    const { items, state } = source([[1, 2], [3]]);
    for await (const item of items) if (item === 1) break;
    expect(state.closed).toBe(true);
    expect(state.pulled).toBe(1);
    expect(await items.next()).toEqual({ value: undefined, done: true });
  });

  it('throw() reaches the batches and ends the stream', async () => {
    const { items, state } = source([[1], [2]]);
    await items.next();
    await expect(items.throw(new Error('stop'))).rejects.toThrow('stop');
    expect(state.closed).toBe(true);
    expect(await items.next()).toEqual({ value: undefined, done: true });
  });
});
