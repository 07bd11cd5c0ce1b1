/**
 * The textbook toy, for checking the explorer against other tools: K devices and H HWPT slots. A
 * free slot can be allocated; an allocated slot can be destroyed when no device uses it; a detached
 * device can attach to any allocated slot; an attached device can detach. Without symmetry it has
 * sum_j C(H,j)(j+1)^K states (6,476 for K=6, H=3; 693,160 for K=8, H=4).
 *
 * A state is one integer: bit j of the low H bits says slot j is allocated; above them, device i is
 * the base-(H+1) digit i (0 detached, s+1 attached to slot s). Its log is the same moves on the
 * kernel model (platform none: bind, one IOAS, then hwpt_alloc / vfio.attach / vfio.detach / destroy).
 */
import type { Header, LogEvent } from '../log/schema.ts';
import type { ExploreModel, ExploreViolation, SuccessorSink } from './model.ts';

export interface ToyBounds {
  readonly devices: number;
  readonly slots: number;
  /** Devices are interchangeable: keys sort the device digits. */
  readonly symmetricDevices: boolean;
  /** Slots are interchangeable too (needs symmetricDevices): keys relabel slots by their use. */
  readonly symmetricSlots: boolean;
}

export const TOY_INVARIANT = 'toy-attached-slot-allocated';

type ToyAction =
  | { readonly kind: 'alloc'; readonly slot: number }
  | { readonly kind: 'destroy'; readonly slot: number }
  | { readonly kind: 'attach'; readonly device: number; readonly slot: number }
  | { readonly kind: 'detach'; readonly device: number };

export function toyActions(bounds: ToyBounds): ToyAction[] {
  const actions: ToyAction[] = [];
  for (let slot = 0; slot < bounds.slots; slot++) actions.push({ kind: 'alloc', slot });
  for (let slot = 0; slot < bounds.slots; slot++) actions.push({ kind: 'destroy', slot });
  for (let device = 0; device < bounds.devices; device++)
    for (let slot = 0; slot < bounds.slots; slot++) actions.push({ kind: 'attach', device, slot });
  for (let device = 0; device < bounds.devices; device++) actions.push({ kind: 'detach', device });
  return actions;
}

const labelOf = (action: ToyAction): string => {
  switch (action.kind) {
    case 'alloc':
      return `alloc slot${action.slot}`;
    case 'destroy':
      return `destroy slot${action.slot}`;
    case 'attach':
      return `attach dev${action.device} slot${action.slot}`;
    case 'detach':
      return `detach dev${action.device}`;
  }
};

/** The toy's moves as kernel-model events: the log replays on platform `none`. */
export function toyPrelude(bounds: ToyBounds): LogEvent[] {
  const events: LogEvent[] = [];
  for (let device = 0; device < bounds.devices; device++)
    events.push({ type: 'vfio.bind', dev: `dev${device}`, as: `dev${device}` } as LogEvent);
  events.push({ type: 'iommufd.ioas_alloc', as: 'ioas' } as LogEvent);
  return events;
}

export function toyEvent(action: ToyAction): LogEvent {
  switch (action.kind) {
    case 'alloc':
      return {
        type: 'iommufd.hwpt_alloc',
        dev_id: '$dev0',
        pt_id: '$ioas',
        as: `slot${action.slot}`,
      } as LogEvent;
    case 'destroy':
      return { type: 'iommufd.destroy', id: `$slot${action.slot}` } as LogEvent;
    case 'attach':
      return { type: 'vfio.attach', dev: `dev${action.device}`, pt_id: `$slot${action.slot}` } as LogEvent;
    case 'detach':
      return { type: 'vfio.detach', dev: `dev${action.device}` } as LogEvent;
  }
}

export const TOY_HEADER: Header = { log: 'viommu-model', version: 1, platform: { viommu: 'none' } } as Header;

export function toyModel(bounds: ToyBounds): ExploreModel<number> {
  const { devices: K, slots: H } = bounds;
  const base = H + 1;
  const low = 1 << H;
  const actions = toyActions(bounds);
  const place: number[] = []; // place[i] = 2^H * base^i
  for (let i = 0, p = low; i < K; i++, p *= base) place.push(p);
  const keySpace = low * base ** K;
  if (!Number.isSafeInteger(keySpace) || keySpace > 2 ** 31)
    throw new Error(`toy with ${K} devices and ${H} slots has ${keySpace} encodings; at most 2^31`);
  const digits = new Int32Array(K);
  const users = new Int32Array(H);
  const sorted = new Int32Array(K);
  const relabel = new Int32Array(base);
  const order: number[] = [];

  const decode = (state: number): void => {
    let rest = Math.floor(state / low);
    users.fill(0);
    for (let i = 0; i < K; i++) {
      const digit = rest % base;
      rest = (rest - digit) / base;
      digits[i] = digit;
      if (digit > 0) users[digit - 1]!++;
    }
  };

  const key = (state: number): number => {
    if (!bounds.symmetricDevices) return state;
    decode(state);
    let mask = state % low;
    relabel[0] = 0;
    if (bounds.symmetricSlots) {
      // Allocated slots first, most used first; equal slots are interchangeable once devices are too.
      order.length = 0;
      for (let s = 0; s < H; s++) order.push(s);
      order.sort((a, b) => allocatedFirst(state, a, b) || users[b]! - users[a]! || a - b);
      mask = 0;
      for (let rank = 0; rank < H; rank++) {
        const slot = order[rank]!;
        relabel[slot + 1] = rank + 1;
        if ((state & (1 << slot)) !== 0) mask |= 1 << rank;
      }
    } else for (let s = 1; s < base; s++) relabel[s] = s;
    for (let i = 0; i < K; i++) sorted[i] = relabel[digits[i]!]!;
    sorted.sort();
    let canonical = mask;
    for (let i = 0; i < K; i++) canonical += sorted[i]! * place[i]!;
    return canonical;
  };

  const allocatedFirst = (state: number, a: number, b: number): number =>
    ((state >> b) & 1) - ((state >> a) & 1);

  const check = (state: number): readonly ExploreViolation[] => {
    decode(state);
    for (let i = 0; i < K; i++) {
      const digit = digits[i]!;
      if (digit > 0 && (state & (1 << (digit - 1))) === 0)
        return [
          { invariant: TOY_INVARIANT, message: `dev${i} is attached to slot${digit - 1}, which is free` },
        ];
    }
    return [];
  };

  const offer = (sink: SuccessorSink<number>, action: number, next: number): void => {
    if (sink.fresh(action, key(next))) sink.add(next);
  };

  return {
    name: `toy K=${K} H=${H}`,
    actions: actions.map(labelOf),
    keySpace,
    initial: () => 0,
    key,
    check,
    expand(state, _depth, sink) {
      decode(state);
      const mask = state % low;
      const own = Int32Array.from(digits);
      const used = Int32Array.from(users);
      let action = 0;
      for (let s = 0; s < H; s++, action++)
        if ((mask & (1 << s)) === 0) offer(sink, action, state | (1 << s));
      for (let s = 0; s < H; s++, action++)
        if ((mask & (1 << s)) !== 0 && used[s] === 0) offer(sink, action, state & ~(1 << s));
      for (let i = 0; i < K; i++)
        for (let s = 0; s < H; s++, action++)
          if (own[i] === 0 && (mask & (1 << s)) !== 0) offer(sink, action, state + (s + 1) * place[i]!);
      for (let i = 0; i < K; i++, action++)
        if (own[i] !== 0) offer(sink, action, state - own[i]! * place[i]!);
    },
    toLog(path) {
      return {
        header: TOY_HEADER,
        events: [...toyPrelude(bounds), ...path.map((a) => toyEvent(actions[a]!))],
      };
    },
  };
}
