/**
 * The messages of the parse worker as a queue the main thread can both wait on and look into
 * without waiting (the lead reader asks "has the worker sent this batch yet?" between its own
 * batches). The worker's own failure (an error event, or an exit before the end) is an error too.
 */
import type { Worker } from 'node:worker_threads';
import type { WorkerMessage } from './batch-wire.ts';

/** What a consumed slot holds until the front of the queue is cut off. */
const DROPPED: WorkerMessage = Object.freeze({ kind: 'done' });

export class WorkerInbox {
  private readonly queue: WorkerMessage[] = [];
  private head = 0;
  private failure: { readonly error: unknown } | undefined;
  private wake: (() => void) | undefined;

  constructor(worker: Worker) {
    worker.on('message', (message: WorkerMessage) => {
      this.queue.push(message);
      this.notify();
    });
    worker.on('error', (error) => {
      this.failure ??= { error };
      this.notify();
    });
    worker.on('exit', (code) => {
      this.failure ??= {
        error: new Error(`the parse worker exited (code ${code}) before the end of the log`),
      };
      this.notify();
    });
  }

  /** The next message if one has arrived (it stays queued), else undefined; a failure throws. */
  peek(): WorkerMessage | undefined {
    if (this.head < this.queue.length) return this.queue[this.head];
    if (this.failure !== undefined) throw this.failure.error;
    return undefined;
  }

  /** Drops the message peek() returned. */
  drop(): void {
    // Let go of it at once: a kept batch (its JSON text) held the main thread's heap 25-55 MB higher.
    this.queue[this.head] = DROPPED;
    this.head += 1;
    // The consumed front is cut off now and then, not per message (shift() is linear on long queues).
    if (this.head >= 64 && this.head * 2 >= this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The next message, waiting for it. */
  async next(): Promise<WorkerMessage> {
    const message = await this.peekWaiting();
    this.drop();
    return message;
  }

  /** The next message, waiting for it; it stays queued. */
  async peekWaiting(): Promise<WorkerMessage> {
    for (;;) {
      const message = this.peek();
      if (message !== undefined) return message;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify(): void {
    this.wake?.();
    this.wake = undefined;
  }
}
