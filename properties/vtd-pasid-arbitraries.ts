/**
 * Generators of VT-d guest logs with PASIDs other than 0, for the `pasid-series` variant with
 * `pasid-bits`: the RID-only generator's logs (vtd-arbitraries.ts) with PASID-capable devices, and a
 * PASID drawn for every PASID table write, PASID-selective flush and PIOTLB flush, so entries,
 * flushes and host attachments at PASIDs 0, 3 and 5 (and 20, beyond 2^4) mix.
 */
import fc from 'fast-check';
import { DEFAULT_HEADER, type Header, type LogEvent } from '../src/index.ts';
import { type FailKind, vtdGuestLog } from './vtd-arbitraries.ts';

/** The PASID bits of the generated header: PASIDs 0..15 are cached, 20 never is. */
export const PASID_BITS = 4;
const PASIDS = [0, 0, 3, 5, 20] as const;

export const vtdPasidHeader: Header = {
  ...DEFAULT_HEADER,
  platform: {
    ...DEFAULT_HEADER.platform!,
    variant: 'pasid-series',
    'pasid-bits': PASID_BITS,
  } as Header['platform'],
};

export type PasidEntry = Extract<LogEvent, { type: 'vtd.pasid_entry' }>['entry'];

/** A present first-stage entry of DID 1 at this table address (4-level, no WPE): the enumerated properties' entry. */
export const fstEntry = (fsptptr: string): PasidEntry => ({
  present: true,
  pgtt: 'FST',
  did: 1,
  fsptptr,
  fspm: 0,
  wpe: false,
});

/** The event with `pasid` where it names one; a plug is PASID-capable unless `capable` is false. */
export function withPasid(event: LogEvent, pasid: number, capable = true): LogEvent {
  switch (event.type) {
    case 'vfio.plug':
      return { ...event, pasid: capable };
    case 'vtd.pasid_entry':
    case 'vtd.inv.piotlb':
      return { ...event, pasid };
    case 'vtd.inv.pasid_cache':
      return event.granularity === 'pasid' ? { ...event, pasid } : event;
    default:
      return event;
  }
}

/** A flush of an entry right after its write keeps its PASID: programAndFlush pairs stay pairs. */
export function vtdPasidGuestLog(failures: readonly FailKind[]): fc.Arbitrary<LogEvent[]> {
  return vtdGuestLog(failures).chain((events) =>
    fc
      .array(fc.constantFrom(...PASIDS), { minLength: events.length, maxLength: events.length })
      .map((pasids) => {
        let last = 0;
        return events.map((event, index) => {
          const pairedFlush =
            event.type === 'vtd.inv.pasid_cache' && events[index - 1]?.type === 'vtd.pasid_entry';
          const pasid = pairedFlush ? last : pasids[index]!;
          if (event.type === 'vtd.pasid_entry') last = pasid;
          return withPasid(event, pasid);
        });
      }),
  );
}
