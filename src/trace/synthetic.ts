/**
 * A synthetic but well-formed QEMU trace of a VT-d x-flts=on guest (reference §3 flows A, B.2, B.4,
 * B.5, B.6): cold plug, then `cycles` rounds of first-stage bind, invalidate, map/unmap and rebind
 * to the S2, then unplug. Its lifecycle is clean, so `trace check` must find nothing in it. Used by
 * the streaming test and the benchmark; lines are generated lazily, so any size fits in memory.
 */

export type PrefixEra = 'none' | 'pid' | 'iso';

function prefixer(era: PrefixEra): (n: number) => string {
  const base = Date.UTC(2026, 1, 13, 12, 0, 0);
  switch (era) {
    case 'none':
      return () => '';
    case 'pid':
      return (n) => `4242@${1771000000 + Math.floor(n / 1e6)}.${String(n % 1e6).padStart(6, '0')}:`;
    case 'iso':
      return (n) =>
        `${new Date(base + Math.floor(n / 1000)).toISOString().slice(0, 19)}.${String(n % 1e6).padStart(6, '0')}Z `;
    default:
      return era satisfies never;
  }
}

const FD = 12;
const DEV = '0000:01:00.0';
const DEVFD = 30;
const DEVID = 1;
const IOAS = 2;
const S2 = 3;
const FS = 4;

export function* syntheticTrace(cycles: number, era: PrefixEra = 'none'): Generator<string> {
  const prefix = prefixer(era);
  let n = 0;
  const line = (body: string): string => `${prefix(n++)}${body}`;
  const be = `iommufd=${FD}`;
  yield line(`iommufd_cdev_getfd  /dev/vfio/devices/vfio0 (fd=${DEVFD})`);
  yield line(`iommufd_backend_connect fd=${FD} owned=1 users=1`);
  yield line(
    `iommufd_cdev_connect_and_bind  [${be}] Successfully bound device ${DEV} (fd=${DEVFD}): output devid=${DEVID}`,
  );
  yield line(`iommufd_backend_alloc_ioas  ${be} ioas=${IOAS}`);
  yield line(`iommufd_cdev_alloc_ioas  [${be}] new IOMMUFD container with ioasid=${IOAS}`);
  yield line(
    `iommufd_backend_alloc_hwpt  ${be} dev_id=${DEVID} pt_id=${IOAS} flags=0x1 hwpt_type=0 len=0 data_ptr=0x0 out_hwpt=${S2} (0)`,
  );
  yield line(
    `iommufd_cdev_attach_ioas_hwpt  [${be}] Successfully attached device ${DEV} (${DEVFD}) to id=${S2}`,
  );
  yield line(
    `iommufd_backend_map_dma  ${be} ioas=${IOAS} iova=0x0 size=0x80000000 addr=0x7f0000000000 readonly=0 (0)`,
  );
  for (let i = 0; i < cycles; i++) {
    const iova = (0x100000000 + (i % 4096) * 0x1000).toString(16);
    const ptr = (0x7ffd0000 + (i % 65536) * 16).toString(16);
    yield line(
      `iommufd_backend_alloc_hwpt  ${be} dev_id=${DEVID} pt_id=${S2} flags=0x0 hwpt_type=1 len=24 data_ptr=0x${ptr} out_hwpt=${FS} (0)`,
    );
    yield line(
      `iommufd_cdev_attach_ioas_hwpt  [${be}] Successfully attached device ${DEV} (${DEVFD}) to id=${FS}`,
    );
    yield line(`vtd_device_attach_hwpt dev_id ${DEVID} pasid -1 hwpt_id ${FS}, ret: 1`);
    yield line(
      `iommufd_backend_invalidate_cache  ${be} id=${FS} data_type=0 entry_len=24 entry_num=1 done_num=1 data_ptr=0x${ptr} (0)`,
    );
    yield line(
      `iommufd_backend_map_dma  ${be} ioas=${IOAS} iova=0x${iova} size=0x1000 addr=0x7f1${iova} readonly=0 (0)`,
    );
    yield line(`iommufd_backend_unmap_dma  ${be} ioas=${IOAS} iova=0x${iova} size=0x1000 (0)`);
    yield line('vtd_pasid_cache_reset ');
    yield line(
      `iommufd_cdev_attach_ioas_hwpt  [${be}] Successfully attached device ${DEV} (${DEVFD}) to id=${S2}`,
    );
    yield line(`vtd_device_reattach_def_hwpt dev_id ${DEVID} pasid -1 hwpt_id ${S2}, ret: 1`);
    yield line(`iommufd_backend_free_id  ${be} id=${FS} (0)`);
  }
  yield line(`iommufd_cdev_detach_ioas_hwpt  [${be}] Successfully detached ${DEV}`);
  yield line(`iommufd_backend_free_id  ${be} id=${S2} (0)`);
  yield line(`iommufd_backend_unmap_dma  ${be} ioas=${IOAS} iova=0x0 size=0xffffffffffffffff (0)`);
  yield line(`iommufd_backend_free_id  ${be} id=${IOAS} (0)`);
  yield line('iommufd_backend_disconnect fd=-1 users=0');
}

/** Lines per cycle and outside the loop, for callers that size a file. */
export const SYNTHETIC_LINES = { fixed: 13, perCycle: 10 } as const;
