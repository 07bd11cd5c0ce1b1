/** Raw log values to numbers at the point of use (logs keep what the user wrote). */
export function toBigU64(value: number | string): bigint {
  return typeof value === 'number' ? BigInt(value) : BigInt(value);
}

/** Enumerations are written as names or numbers; a name maps through the uAPI table given. */
export function enumValue<T extends Record<string, number>>(table: T, value: string | number): number {
  return typeof value === 'number' ? value : (table[value] ?? -1);
}
