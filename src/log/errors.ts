/** Bad input: names the line (counting every line from 1), the field and what was expected. */
export class LogInputError extends Error {
  constructor(
    readonly line: number,
    readonly field: string | undefined,
    readonly problem: string,
  ) {
    super(`line ${line}${field === undefined ? '' : `: field "${field}"`}: ${problem}`);
    this.name = 'LogInputError';
  }
}
