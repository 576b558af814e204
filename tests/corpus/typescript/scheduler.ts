/**
 * A job scheduler with retries, a priority queue, a typed event bus and a cron expression parser.
 */
import { EventEmitter } from 'events';

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface Job<T = unknown> {
  id: string;
  name: string;
  priority: number;
  attempts: number;
  maxAttempts: number;
  runAt: number;
  payload: T;
  status: JobStatus;
  lastError?: string;
}

export interface JobHandler<T> {
  (job: Job<T>, signal: AbortSignal): Promise<void>;
}

type Comparator<T> = (a: T, b: T) => number;

export class PriorityQueue<T> {
  private heap: T[] = [];

  constructor(private readonly compare: Comparator<T>) {}

  get size(): number {
    return this.heap.length;
  }

  push(item: T): void {
    this.heap.push(item);
    this.siftUp(this.heap.length - 1);
  }

  peek(): T | undefined {
    return this.heap[0];
  }

  pop(): T | undefined {
    if (this.heap.length === 0) {
      return undefined;
    }
    const top = this.heap[0];
    const last = this.heap.pop() as T;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  remove(predicate: (item: T) => boolean): boolean {
    const index = this.heap.findIndex(predicate);
    if (index < 0) return false;
    const last = this.heap.pop() as T;
    if (index < this.heap.length) {
      this.heap[index] = last;
      this.siftDown(index);
      this.siftUp(index);
    }
    return true;
  }

  private siftUp(index: number): void {
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.compare(this.heap[index], this.heap[parent]) >= 0) {
        break;
      }
      [this.heap[index], this.heap[parent]] = [this.heap[parent], this.heap[index]];
      index = parent;
    }
  }

  private siftDown(index: number): void {
    const length = this.heap.length;
    for (;;) {
      const left = index * 2 + 1;
      const right = left + 1;
      let smallest = index;
      if (left < length && this.compare(this.heap[left], this.heap[smallest]) < 0) {
        smallest = left;
      }
      if (right < length && this.compare(this.heap[right], this.heap[smallest]) < 0) {
        smallest = right;
      }
      if (smallest === index) {
        return;
      }
      [this.heap[index], this.heap[smallest]] = [this.heap[smallest], this.heap[index]];
      index = smallest;
    }
  }
}

export interface SchedulerOptions {
  concurrency?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  now?: () => number;
}

export class Scheduler extends EventEmitter {
  private readonly queue = new PriorityQueue<Job>((a, b) => a.runAt - b.runAt || b.priority - a.priority);
  private readonly handlers = new Map<string, JobHandler<any>>();
  private readonly running = new Map<string, AbortController>();
  private readonly options: Required<SchedulerOptions>;
  private counter = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(options: SchedulerOptions = {}) {
    super();
    this.options = {
      concurrency: options.concurrency ?? 4,
      backoffMs: options.backoffMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 60_000,
      now: options.now ?? (() => Date.now()),
    };
  }

  register<T>(name: string, handler: JobHandler<T>): this {
    if (this.handlers.has(name)) {
      throw new Error(`handler ${name} already registered`);
    }
    this.handlers.set(name, handler);
    return this;
  }

  enqueue<T>(name: string, payload: T, opts: { priority?: number; delayMs?: number; maxAttempts?: number } = {}): string {
    if (!this.handlers.has(name)) {
      throw new Error(`no handler for ${name}`);
    }
    const id = `${name}-${++this.counter}`;
    const job: Job<T> = {
      id,
      name,
      payload,
      priority: opts.priority ?? 0,
      attempts: 0,
      maxAttempts: Math.max(1, opts.maxAttempts ?? 3),
      runAt: this.options.now() + (opts.delayMs ?? 0),
      status: 'queued',
    };
    this.queue.push(job);
    this.emit('queued', job);
    this.tick();
    return id;
  }

  cancel(id: string): boolean {
    const controller = this.running.get(id);
    if (controller) {
      controller.abort();
      return true;
    }
    return this.queue.remove((job) => job.id === id);
  }

  private backoff(attempt: number): number {
    const base = this.options.backoffMs * 2 ** (attempt - 1);
    const jitter = Math.random() * base * 0.2;
    return Math.min(this.options.maxBackoffMs, base + jitter);
  }

  private tick(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const now = this.options.now();
    while (this.running.size < this.options.concurrency) {
      const next = this.queue.peek();
      if (!next) {
        return;
      }
      if (next.runAt > now) {
        this.timer = setTimeout(() => this.tick(), next.runAt - now);
        return;
      }
      this.queue.pop();
      void this.run(next);
    }
  }

  private async run(job: Job): Promise<void> {
    const handler = this.handlers.get(job.name);
    const controller = new AbortController();
    this.running.set(job.id, controller);
    job.status = 'running';
    job.attempts += 1;
    try {
      await handler!(job, controller.signal);
      job.status = 'done';
      this.emit('done', job);
    } catch (error: unknown) {
      job.lastError = error instanceof Error ? error.message : String(error);
      if (controller.signal.aborted) {
        job.status = 'cancelled';
        this.emit('cancelled', job);
      } else if (job.attempts < job.maxAttempts) {
        job.status = 'queued';
        job.runAt = this.options.now() + this.backoff(job.attempts);
        this.queue.push(job);
        this.emit('retry', job);
      } else {
        job.status = 'failed';
        this.emit('failed', job);
      }
    } finally {
      this.running.delete(job.id);
      this.tick();
    }
  }
}

const FIELD_RANGES: Array<[number, number]> = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
];

export function parseCronField(field: string, [min, max]: [number, number]): Set<number> {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const [rangePart, stepPart] = part.split('/');
    const step = stepPart === undefined ? 1 : Number(stepPart);
    if (!Number.isInteger(step) || step <= 0) {
      throw new Error(`bad step in ${part}`);
    }
    let low = min;
    let high = max;
    if (rangePart !== '*') {
      const bounds = rangePart.split('-').map(Number);
      if (bounds.some((n) => Number.isNaN(n))) {
        throw new Error(`bad range in ${part}`);
      }
      low = bounds[0];
      high = bounds.length > 1 ? bounds[1] : stepPart ? max : low;
    }
    if (low < min || high > max || low > high) {
      throw new Error(`out of range: ${part}`);
    }
    for (let value = low; value <= high; value += step) {
      values.add(value);
    }
  }
  return values;
}

export function parseCron(expression: string): Set<number>[] {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) {
    throw new Error(`expected 5 fields, got ${fields.length}`);
  }
  return fields.map((field, index) => parseCronField(field, FIELD_RANGES[index]));
}

export function nextRun(fields: Set<number>[], after: Date): Date {
  const candidate = new Date(after.getTime());
  candidate.setSeconds(0, 0);
  candidate.setMinutes(candidate.getMinutes() + 1);
  for (let guard = 0; guard < 366 * 24 * 60; guard++) {
    const matches =
      fields[0].has(candidate.getMinutes()) &&
      fields[1].has(candidate.getHours()) &&
      fields[2].has(candidate.getDate()) &&
      fields[3].has(candidate.getMonth() + 1) &&
      fields[4].has(candidate.getDay());
    if (matches) {
      return candidate;
    }
    candidate.setMinutes(candidate.getMinutes() + 1);
  }
  throw new Error('no run within a year');
}

export namespace Format {
  export function duration(ms: number): string {
    if (ms < 1000) return `${ms}ms`;
    const seconds = Math.floor(ms / 1000);
    if (seconds < 60) return `${seconds}s`;
    const minutes = Math.floor(seconds / 60);
    return minutes < 60 ? `${minutes}m ${seconds % 60}s` : `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
  }

  export function status(job: Job): string {
    switch (job.status) {
      case 'queued':
        return `waiting (${job.attempts}/${job.maxAttempts})`;
      case 'running':
        return 'running';
      case 'failed':
        return `failed: ${job.lastError ?? 'unknown error'}`;
      default:
        return job.status;
    }
  }
}

export abstract class Repository<T extends { id: string }> {
  protected items = new Map<string, T>();

  abstract validate(item: T): string[];

  save(item: T): T {
    const problems = this.validate(item);
    if (problems.length) {
      throw new Error(problems.join('; '));
    }
    this.items.set(item.id, item);
    return item;
  }

  find(filter: Partial<T>): T[] {
    return [...this.items.values()].filter((item) =>
      Object.entries(filter).every(([key, value]) => (item as Record<string, unknown>)[key] === value),
    );
  }
}

export function debounceAsync<A extends unknown[], R>(fn: (...args: A) => Promise<R>, wait: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let waiting: Array<(value: R | PromiseLike<R>) => void> = [];
  return (...args: A): Promise<R> =>
    new Promise<R>((resolve) => {
      if (timer) clearTimeout(timer);
      waiting.push(resolve);
      timer = setTimeout(async () => {
        const result = await fn(...args);
        waiting.forEach((r) => r(result));
        waiting = [];
      }, wait);
    });
}
