/**
 * The textbook toy as Promela, for Spin (bench/explore.bench.ts): one process whose loop offers
 * every move as an atomic guarded option, so Spin stores one state per toy state
 * (sum_j C(H,j)(j+1)^K). `users` counts the devices on each slot; it is a function of `dev`, so
 * it adds no states.
 */
export function toyPromela(devices: number, slots: number): string {
  const options: string[] = [];
  for (let s = 0; s < slots; s++) options.push(`:: atomic { !alloc[${s}] -> alloc[${s}] = 1 }`);
  for (let s = 0; s < slots; s++)
    options.push(`:: atomic { alloc[${s}] && users[${s}] == 0 -> alloc[${s}] = 0 }`);
  for (let i = 0; i < devices; i++)
    for (let s = 0; s < slots; s++)
      options.push(`:: atomic { dev[${i}] == 0 && alloc[${s}] -> dev[${i}] = ${s + 1}; users[${s}]++ }`);
  for (let i = 0; i < devices; i++)
    options.push(`:: atomic { dev[${i}] != 0 -> users[dev[${i}] - 1]--; dev[${i}] = 0 }`);
  return [
    `byte dev[${devices}];`,
    `bool alloc[${slots}];`,
    `byte users[${slots}];`,
    'active proctype toy() {',
    '  do',
    ...options.map((option) => `  ${option}`),
    '  od',
    '}',
    '',
  ].join('\n');
}
