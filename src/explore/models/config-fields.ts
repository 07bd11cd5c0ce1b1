/**
 * The fields every configuration has, for the model kinds' own parsers (they read their fields with
 * reader.ts's ConfigReader).
 */
/** The fields every configuration has (config.ts Common). */
export interface CommonFields {
  readonly name: string;
  readonly depth: number | undefined;
  readonly invariants: readonly string[] | undefined;
}
