import type { PoolJob } from './job-factory';

/**
 * The pool's live jobs by id. A clean job (new tip) forgets every earlier job, which makes
 * their shares stale (21); otherwise the oldest jobs fall off past `maxJobs`.
 */
export class JobBook {
  private readonly jobs = new Map<string, PoolJob>();
  private latest: PoolJob | null = null;

  constructor(private readonly maxJobs: number) {}

  add(job: PoolJob): void {
    if (job.clean) this.jobs.clear();
    this.jobs.set(job.job.jobId, job);
    this.latest = job;
    while (this.jobs.size > this.maxJobs) {
      const oldest = this.jobs.keys().next().value as string;
      this.jobs.delete(oldest);
    }
  }

  get(jobId: string): PoolJob | undefined {
    return this.jobs.get(jobId);
  }

  get current(): PoolJob | null {
    return this.latest;
  }
}
