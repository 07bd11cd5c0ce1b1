/**
 * docs/contracts.md, generated from the contracts (`npm run docs:contracts`; test/contracts-doc.test.ts
 * checks it is current): one table per operation, its rows in the kernel's check order, each with
 * the kernel function it comes from.
 */
import { attachToHwpt, CONTRACTS, replaceWithHwpt } from './index.ts';
import { renderQemuHostSection } from './qemu-doc.ts';

const cell = (text: string) => text.replaceAll('|', '\\|');

export function renderContractsDoc(): string {
  const out = [
    '# Operation contracts',
    '',
    '<!-- Generated from src/contracts/ by `npm run docs:contracts`; edit the contracts, not this file. -->',
    '',
    'What each kernel operation (and so each host operation a frontend issues) must do, written from the',
    'kernel source (Linux 6.17-rc, Kingxukai/linux 0291023e7330 / 9b44fff655e2) independently of the model',
    'in src/kernel/. The first row whose condition holds decides. After every event of the generated logs,',
    '`properties/contracts.prop.test.ts` holds the model to these rows: the errno, or the ID written back,',
    'the objects made, the pins taken and dropped, the attachments, frees and tombstones, and nothing else',
    'changed. After the iommufd is released every operation is EBADF. Driver rows cover the selftest mock,',
    'Intel VT-d and ARM SMMUv3 (src/contracts/drivers.ts); the IOAS mapping ioctls are in src/contracts/ioas.ts.',
  ];
  for (const contract of [...Object.values(CONTRACTS), attachToHwpt, replaceWithHwpt]) {
    out.push(
      '',
      `## \`${contract.op}\`: ${contract.title}`,
      '',
      '| # | when | outcome | kernel source |',
      '|---|---|---|---|',
    );
    contract.rows.forEach((row, i) => {
      out.push(`| ${i + 1} | ${cell(row.when)} | ${cell(row.outcome)} | ${cell(row.source)} |`);
    });
  }
  out.push(...renderQemuHostSection());
  return `${out.join('\n')}\n`;
}
