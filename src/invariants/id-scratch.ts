/**
 * A set of object IDs with a count each, for one check at a time (checks never nest): no Map or Set
 * is made or cleared per event. Per-event scratch indexed by object ID (IDs are dense, below the table's length): a stamp marks
 * membership, so nothing is cleared or sorted between events and walking IDs upwards gives the
 * ascending order the full check reports in.
 */
export class IdScratch {
  private readonly member: number[] = [];
  private readonly writtenMark: number[] = [];
  /** A count per member ID (a pin delta, or the expected users). */
  readonly count: number[] = [];
  private stamp = 0;
  private limit = 0;
  /** The highest member ID, -1 when none. */
  high = -1;

  begin(tableLength: number): void {
    this.stamp += 1;
    this.limit = tableLength;
    this.high = -1;
  }
  /** IDs past the table hold no object, so nothing is kept for them. */
  add(id: number): void {
    if (id >= this.limit || this.member[id] === this.stamp) return;
    this.member[id] = this.stamp;
    this.count[id] = 0;
    if (id > this.high) this.high = id;
  }
  addWritten(id: number): void {
    this.add(id);
    if (id < this.limit) this.writtenMark[id] = this.stamp;
  }
  has(id: number): boolean {
    return this.member[id] === this.stamp;
  }
  written(id: number): boolean {
    return this.writtenMark[id] === this.stamp;
  }
}
