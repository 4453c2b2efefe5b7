// A single-consumer async queue: the engine loop pushes events, the request's reader iterates.
// Closing ends the iteration; failing makes the next read throw.

export class EventChannel<T> implements AsyncIterable<T> {
  private readonly buffered: T[] = [];
  private waiter: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined;
  private closed = false;
  private failure: unknown;
  private hasFailure = false;

  constructor(private readonly onReturn: () => void = () => undefined) {}

  push(value: T): void {
    if (this.closed) return;
    if (this.waiter !== undefined) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter.resolve({ value, done: false });
    } else {
      this.buffered.push(value);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.waiter !== undefined && this.buffered.length === 0) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter.resolve({ value: undefined, done: true });
    }
  }

  fail(error: unknown): void {
    if (this.closed) return;
    this.failure = error;
    this.hasFailure = true;
    this.closed = true;
    if (this.waiter !== undefined) {
      const waiter = this.waiter;
      this.waiter = undefined;
      waiter.reject(error);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const value = this.buffered.shift();
        if (value !== undefined) return Promise.resolve({ value, done: false });
        if (this.hasFailure) {
          this.hasFailure = false;
          return Promise.reject(this.failure);
        }
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
      },
      return: () => {
        // The reader stopped early (client gone): let the engine abort the request.
        this.closed = true;
        this.buffered.length = 0;
        this.onReturn();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
