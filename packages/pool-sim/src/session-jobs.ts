/**
 * What one session was told: which jobs it received and at which difficulty, and which
 * shares it already submitted for each (duplicate detection). Bounded to the last `maxJobs`
 * jobs; a clean notify forgets the rest.
 */
export class SessionJobs {
  private readonly difficultyByJob = new Map<string, number>();
  private readonly seen = new Map<string, Set<string>>();

  constructor(private readonly maxJobs: number) {}

  /** Record a notify sent to the session with the difficulty in force when it was sent. */
  onNotify(jobId: string, difficulty: number, clean: boolean): void {
    if (clean) {
      this.difficultyByJob.clear();
      this.seen.clear();
    }
    this.difficultyByJob.delete(jobId);
    this.difficultyByJob.set(jobId, difficulty);
    while (this.difficultyByJob.size > this.maxJobs) {
      const oldest = this.difficultyByJob.keys().next().value as string;
      this.difficultyByJob.delete(oldest);
      this.seen.delete(oldest);
    }
  }

  /** The difficulty in force when `jobId` was sent, or undefined if the session does not hold that job. */
  difficultyFor(jobId: string): number | undefined {
    return this.difficultyByJob.get(jobId);
  }

  /** Remember a share key; false if it was already submitted for this job. */
  remember(jobId: string, shareKey: string): boolean {
    let set = this.seen.get(jobId);
    if (set === undefined) {
      set = new Set();
      this.seen.set(jobId, set);
    }
    if (set.has(shareKey)) return false;
    set.add(shareKey);
    return true;
  }
}
