/** Teardown registered right where a resource is created; run in afterEach, last in first out. */
export class Cleanup {
  private readonly tasks: Array<() => unknown> = [];

  add(task: () => unknown): void {
    this.tasks.push(task);
  }

  async run(): Promise<void> {
    while (this.tasks.length > 0) {
      const task = this.tasks.pop() as () => unknown;
      try {
        await task();
      } catch {
        // teardown is best effort: a failed close must not hide the test's own result
      }
    }
  }
}
