/**
 * The event log contract (docs/log-format.md, version 1) as one zod schema: the source of the
 * TypeScript types, of validation, and of the JSON Schema file the package ships
 * (schema/event-log.schema.json, written by `npm run schema`).
 */
import { z } from 'zod';
import {
  accessCreateFlags,
  accessPagesFlags,
  accessRwFlags,
  bindName,
  devName,
  driverName,
  errno,
  expectation,
  fdNumber,
  hwptAllocFlag,
  hwptData,
  hwptDataType,
  hwQueueType,
  idRef,
  invalidateDataType,
  invalidateEntry,
  ioasMapFlags,
  iovaRange,
  kernelRevision,
  pasidField,
  u32,
  u64,
  veventqType,
  viommuType,
} from './fields.ts';

const common = { expect: expectation.optional() };
const creates = { ...common, as: bindName.optional() };

function event<const T extends string, S extends z.ZodRawShape>(type: T, shape: S) {
  return z.strictObject({ type: z.literal(type), ...shape });
}

// Kernel level: field names are the uAPI's (include/uapi/linux/iommufd.h).
export const kernelEvents = [
  event('vfio.bind', {
    ...creates,
    dev: devName,
    pasid: z.boolean().optional(),
    dirty: z.boolean().optional(),
    iommu: bindName.optional(),
    group: bindName.optional(),
    driver: driverName.optional(),
    resv_regions: z.array(iovaRange).optional(),
    mdev: z.boolean().optional(),
  }),
  event('vfio.attach', { ...creates, dev: devName, pt_id: idRef, pasid: pasidField.optional() }),
  event('vfio.detach', { ...common, dev: devName, pasid: pasidField.optional() }),
  event('vfio.close', { ...common, dev: devName }),
  event('iommufd.ioas_alloc', { ...creates }),
  event('iommufd.hwpt_alloc', {
    ...creates,
    dev_id: idRef,
    pt_id: idRef,
    flags: z
      .union([z.array(hwptAllocFlag), u32], {
        error: 'an array of NEST_PARENT, DIRTY_TRACKING, FAULT_ID_VALID, PASID, or a number',
      })
      .optional(),
    data_type: hwptDataType.optional(),
    data: hwptData.optional(),
    fault_id: idRef.optional(),
  }),
  event('iommufd.viommu_alloc', { ...creates, dev_id: idRef, hwpt_id: idRef, viommu_type: viommuType }),
  event('iommufd.vdevice_alloc', { ...creates, viommu_id: idRef, dev_id: idRef, virt_id: u64 }),
  event('iommufd.hw_queue_alloc', {
    ...creates,
    viommu_id: idRef,
    queue_type: hwQueueType,
    index: u32,
    nesting_parent_iova: u64,
    length: u64,
  }),
  event('iommufd.fault_alloc', { ...creates }),
  event('iommufd.veventq_alloc', { ...creates, viommu_id: idRef, veventq_type: veventqType, depth: u32 }),
  event('iommufd.destroy', { ...common, id: idRef }),
  event('iommufd.invalidate', {
    ...common,
    id: idRef,
    data_type: invalidateDataType,
    entries: z.array(invalidateEntry),
  }),
  event('fd.close', { ...common, id: idRef }),
  event('iommufd.close', { ...common }),
  // IOAS mappings (ioas.c): addresses and lengths are u64; `iova` in is ignored without FIXED_IOVA.
  // `host_pa` (not uAPI): the host physical address behind the mapping, physically contiguous from there.
  event('iommufd.ioas_map', {
    ...common,
    ioas_id: idRef,
    flags: ioasMapFlags,
    user_va: u64,
    length: u64,
    iova: u64.optional(),
    host_pa: u64.optional(),
  }),
  event('iommufd.ioas_map_file', {
    ...common,
    ioas_id: idRef,
    flags: ioasMapFlags,
    fd: fdNumber,
    start: u64,
    length: u64,
    iova: u64.optional(),
    host_pa: u64.optional(),
  }),
  event('iommufd.ioas_unmap', { ...common, ioas_id: idRef, iova: u64, length: u64 }),
  event('iommufd.ioas_copy', {
    ...common,
    dst_ioas_id: idRef,
    src_ioas_id: idRef,
    flags: ioasMapFlags,
    length: u64,
    dst_iova: u64.optional(),
    src_iova: u64,
  }),
  event('iommufd.ioas_iova_ranges', { ...common, ioas_id: idRef, num_iovas: u32.optional() }),
  event('iommufd.ioas_allow_iovas', { ...common, ioas_id: idRef, allowed_iovas: z.array(iovaRange) }),
  // Selftest accesses (selftest.c IOMMU_TEST_OP_*): `access_id` names the ACCESS the selftest reaches by its fd.
  event('iommufd.access_create', { ...creates, ioas_id: idRef, flags: accessCreateFlags.optional() }),
  event('iommufd.access_pin', {
    ...common,
    access_id: idRef,
    iova: u64,
    length: u64,
    flags: accessPagesFlags.optional(),
  }),
  event('iommufd.access_unpin', { ...common, access_id: idRef, access_pages_id: u32 }),
  event('iommufd.access_rw', {
    ...common,
    access_id: idRef,
    iova: u64,
    length: u64,
    flags: accessRwFlags.optional(),
  }),
  event('iommufd.access_replace_ioas', { ...common, access_id: idRef, ioas_id: idRef }),
  event('iommufd.access_destroy', { ...common, access_id: idRef }),
] as const;

// Platform level: what a VMM does to devices and what the test harness injects.
export const hostOpKind = z.enum([
  'hwpt_alloc',
  'attach',
  'detach',
  'destroy',
  'viommu_alloc',
  'vdevice_alloc',
  'invalidate',
  'ioas_alloc',
  'bind',
]);
/** The kinds a `host.fail` can fail, in the schema's order (fail_nth and the properties sweep them). */
export const HOST_OP_KINDS = hostOpKind.options;
export const platformEvents = [
  event('vfio.plug', {
    ...common,
    dev: devName,
    bdf: z
      .string()
      .regex(
        /^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-1][0-9a-fA-F]\.[0-7]$/,
        'a PCI address such as "0000:01:00.0"',
      )
      .optional(),
    sid: u32.optional(),
    // The host IOMMU instance the device sits behind (the kernel device's iommu); absent: iommu0.
    iommu: bindName.optional(),
    backend: z.enum(['iommufd', 'legacy']).optional(),
    pasid: z.boolean().optional(),
    hotplug: z.boolean().optional(),
  }),
  event('vfio.unplug', { ...common, dev: devName }),
  event('machine.reset', { ...common }),
  event('host.fail', {
    ...common,
    op: hostOpKind,
    errno,
    count: z.number().int().min(1).max(1_000_000).optional(),
    skip: z.number().int().min(0).max(1_000_000).optional(),
  }),
] as const;

const pgtt = z.union([z.enum(['FST', 'SST', 'NESTED', 'PT']), z.number().int().min(0).max(7)], {
  error: 'one of FST, SST, NESTED, PT, or the PGTT number 0..7',
});
export const vtdPasidEntry = z.strictObject({
  present: z.boolean(),
  pgtt,
  did: z.number().int().min(0).max(0xffff),
  fsptptr: u64.optional(),
  fspm: z.union([z.literal(0), z.literal(1)]).optional(),
  sre: z.boolean().optional(),
  wpe: z.boolean().optional(),
  eafe: z.boolean().optional(),
  // More of the 64-byte entry vtd_pasid_entry_compare memcmp()s: a change in any of them is a Replace.
  fpd: z.boolean().optional(),
  aw: z.number().int().min(0).max(7).optional(),
  ssptptr: u64.optional(),
  pgsnp: z.boolean().optional(),
});

// Intel VT-d guest: writes to registers and guest memory, and queued invalidation descriptors.
export const vtdEvents = [
  event('vtd.root_table', { ...common, scalable: z.boolean(), addr: u64.optional() }),
  event('vtd.translation', { ...common, enable: z.boolean() }),
  event('vtd.context_entry', { ...common, dev: devName, present: z.boolean() }),
  event('vtd.pasid_entry', {
    ...common,
    dev: devName,
    pasid: pasidField.optional(),
    entry: vtdPasidEntry.nullable(),
  }),
  event('vtd.inv.pasid_cache', {
    ...common,
    granularity: z.enum(['global', 'domain', 'pasid']),
    did: z.number().int().min(0).max(0xffff).optional(),
    pasid: pasidField.optional(),
  }),
  event('vtd.inv.context_cache', {
    ...common,
    granularity: z.enum(['global', 'domain', 'device']),
    did: z.number().int().min(0).max(0xffff).optional(),
    dev: devName.optional(),
  }),
  event('vtd.inv.piotlb', {
    ...common,
    granularity: z.enum(['pasid', 'page']),
    did: z.number().int().min(0).max(0xffff),
    pasid: pasidField.optional(),
    addr: u64.optional(),
    am: z.number().int().min(0).max(63).optional(),
    ih: z.boolean().optional(),
  }),
  event('vtd.inv.iotlb', {
    ...common,
    granularity: z.enum(['global', 'domain', 'page']),
    did: z.number().int().min(0).max(0xffff).optional(),
    addr: u64.optional(),
    am: z.number().int().min(0).max(63).optional(),
  }),
] as const;

const steConfig = z.union(
  [z.enum(['abort', 'bypass', 's1', 's2', 'nested']), z.number().int().min(0).max(7)],
  {
    error: 'one of abort, bypass, s1, s2, nested, or the STE.Config number 0..7',
  },
);
export const smmuSte = z.strictObject({
  valid: z.boolean(),
  config: steConfig,
  s1contextptr: u64.optional(),
  s1cdmax: z.number().int().min(0).max(31).optional(),
  s1fmt: z.number().int().min(0).max(3).optional(),
  s1dss: z.number().int().min(0).max(3).optional(),
  s1cir: z.number().int().min(0).max(3).optional(),
  s1cor: z.number().int().min(0).max(3).optional(),
  s1csh: z.number().int().min(0).max(3).optional(),
  s1stalld: z.boolean().optional(),
  eats: z.number().int().min(0).max(3).optional(),
});

/** The SMMUv3 command-queue opcodes an `smmu.cmd` event may name (also the explorer's alphabet). */
export const SMMU_COMMANDS = [
  'CFGI_STE',
  'CFGI_STE_RANGE',
  'CFGI_ALL',
  'CFGI_CD',
  'CFGI_CD_ALL',
  'TLBI_NH_ASID',
  'TLBI_NH_VA',
  'TLBI_NH_ALL',
  'TLBI_NSNH_ALL',
  'ATC_INV',
  'SYNC',
] as const;

// ARM SMMUv3 guest: register writes, STEs in guest memory, commands from the command queue.
export const smmuEvents = [
  event('smmu.cr0', { ...common, smmuen: z.boolean(), eventqen: z.boolean().optional() }),
  event('smmu.gbpa', { ...common, abort: z.boolean() }),
  event('smmu.ste', { ...common, sid: u32, ste: smmuSte.nullable() }),
  event('smmu.cmd', {
    ...common,
    op: z.enum(SMMU_COMMANDS),
    sid: u32.optional(),
    start: u32.optional(),
    end: u32.optional(),
    ssid: u32.optional(),
    asid: z.number().int().min(0).max(0xffff).optional(),
    addr: u64.optional(),
  }),
] as const;

// virtio-iommu guest requests of the 2017 page-table binding proposal (seed 001): the guest gives
// the host pages for its PASID tables (memreserve), binds page tables to PASIDs (add_table), or, in
// the alternative, hands the host a PASID table it manages itself (bind_pasid_table).
const virtioFormat = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'a page-table format name such as "arm-lpae-s1"');
export const virtioEvents = [
  event('virtio.probe', { ...common, dev: devName }),
  event('virtio.memreserve', { ...common, gpa: u64, size: u64 }),
  event('virtio.reclaim', { ...common, gpa: u64 }),
  event('virtio.add_table', { ...common, dev: devName, pasid: u32, pgd: u64, format: virtioFormat }),
  event('virtio.remove_table', { ...common, dev: devName, pasid: u32 }),
  event('virtio.bind_pasid_table', { ...common, dev: devName, gpa: u64, format: virtioFormat, size: u64 }),
  event('virtio.unbind_pasid_table', { ...common, dev: devName }),
] as const;

export const allEventSchemas = [
  ...kernelEvents,
  ...platformEvents,
  ...vtdEvents,
  ...smmuEvents,
  ...virtioEvents,
] as const;
export const logEvent = z.discriminatedUnion('type', allEventSchemas);
export type LogEvent = z.infer<typeof logEvent>;
export type EventType = LogEvent['type'];
export type EventOf<T extends EventType> = Extract<LogEvent, { type: T }>;
export type KernelEvent = z.infer<(typeof kernelEvents)[number]>;

const variant = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]*$/, 'a variant name such as "upstream" or "fixed"')
  .optional();
export const platform = z.discriminatedUnion('viommu', [
  z.strictObject({
    viommu: z.literal('intel-iommu'),
    'x-flts': z.boolean().optional(),
    'x-scalable-mode': z.boolean().optional(),
    'caching-mode': z.boolean().optional(),
    'aw-bits': z.union([z.literal(39), z.literal(48), z.literal(52), z.literal(57)]).optional(),
    fs1gp: z.boolean().optional(),
    pt: z.boolean().optional(),
    // The PASID series' `pasid-bits` (uint8): PASIDs other than 0; 0 or absent: RID only.
    'pasid-bits': z.number().int().min(0).max(20).optional(),
    variant,
  }),
  z.strictObject({
    viommu: z.literal('arm-smmuv3'),
    accel: z.boolean().optional(),
    ats: z.boolean().optional(),
    ril: z.boolean().optional(),
    ssidsize: z.number().int().min(0).max(20).optional(),
    oas: z.union([z.literal(44), z.literal(48)]).optional(),
    stage: z.enum(['1', '2', 'nested']).optional(),
    // The host SMMUv3's IOMMU_GET_HW_INFO fields accel=on checks; absent: the host has the feature.
    host: z
      .strictObject({
        stlevel: z.number().int().min(0).max(3).optional(),
        ttendian: z.number().int().min(0).max(3).optional(),
        ttf: z.number().int().min(0).max(3).optional(),
        sidsize: z.number().int().min(0).max(32).optional(),
        ssidsize: z.number().int().min(0).max(20).optional(),
        ril: z.boolean().optional(),
        // IDR5.OAS as bits (smmuv3_oas_bits).
        oas: z.literal([32, 36, 40, 42, 44, 48, 52, 56]).optional(),
        ats: z.boolean().optional(),
        gran4k: z.boolean().optional(),
        gran16k: z.boolean().optional(),
        gran64k: z.boolean().optional(),
      })
      .optional(),
    variant,
  }),
  z.strictObject({ viommu: z.literal('none'), variant }),
  z.strictObject({
    viommu: z.literal('virtio-iommu'),
    formats: z.array(virtioFormat).optional(),
    'pasid-bits': z.number().int().min(1).max(20).optional(),
    levels: z
      .array(
        z.strictObject({
          size: z
            .number()
            .int()
            .min(4096)
            .max(1 << 20),
          bits: z.number().int().min(1).max(20),
        }),
      )
      .optional(),
    ram: u64.optional(),
    variant,
  }),
]);
export type Platform = z.infer<typeof platform>;

/** One RAM section of the guest's address space: guest physical address, size, QEMU's host VA, read-only (a ROM). */
export const guestRamSection = z.strictObject({
  gpa: u64,
  size: u64,
  hva: u64,
  readonly: z.boolean().optional(),
});

export const header = z.strictObject({
  log: z.literal('viommu-model'),
  version: z.literal(1),
  platform: platform.optional(),
  // The kernel revision the model follows (README "Kernel revisions"); absent: 6.17-rc.
  kernel: kernelRevision.optional(),
  // Guest RAM as VFIO's memory listener sees it: QEMU maps each section at realize; absent: not described.
  guest_ram: z.array(guestRamSection).optional(),
});
export type Header = z.infer<typeof header>;

export const eventSchemaByType: ReadonlyMap<string, z.ZodType> = new Map(
  allEventSchemas.map((schema) => [schema.shape.type.value, schema as z.ZodType]),
);
