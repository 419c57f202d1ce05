/**
 * Lets chunks decoded in parallel reach the target in disk order: each chunk takes its turn when
 * it is scheduled, and is written once every earlier chunk has been. The turn is given up however
 * the chunk ends, failure included, so a damaged chunk can never leave later ones waiting for
 * ever; after a failure, later chunks are not written.
 */
export class InOrder {
  private tail: Promise<void> = Promise.resolve();
  private failed = false;

  turn<T>(): (produce: Promise<T>, write: (value: T) => Promise<void>) => Promise<void> {
    const previous = this.tail;
    let release: () => void = () => undefined;
    this.tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    return async (produce, write) => {
      try {
        const value = await produce;
        await previous;
        if (this.failed) return;
        await write(value);
      } catch (err) {
        this.failed = true;
        throw err;
      } finally {
        release();
      }
    };
  }
}
