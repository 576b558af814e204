// A typed HTTP client with retries, pagination and response validation.

export class ApiError extends Error {
  constructor(
    public readonly status: number,
    message: string,
    public readonly body?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get retryable(): boolean {
    return this.status === 429 || this.status >= 500;
  }
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

export interface ClientOptions {
  baseUrl: string;
  token?: string;
  retries?: number;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function parseLinkHeader(header: string | null): Record<string, string> {
  const links: Record<string, string> = {};
  if (!header) {
    return links;
  }
  for (const part of header.split(',')) {
    const match = /<([^>]+)>;\s*rel="?([^";]+)"?/.exec(part.trim());
    if (match) {
      links[match[2]] = match[1];
    }
  }
  return links;
}

export function retryAfterMs(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value === '') {
    return null;
  }
  const seconds = Number(value);
  if (!Number.isNaN(seconds)) {
    return Math.max(0, seconds * 1000);
  }
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

export class Client {
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ClientOptions) {
    this.fetchImpl = options.fetchImpl || fetch;
  }

  private headers(extra?: Record<string, string>): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json', ...extra };
    if (this.options.token) {
      headers.authorization = `Bearer ${this.options.token}`;
    }
    return headers;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<{ data: T; response: Response }> {
    const url = path.startsWith('http') ? path : `${this.options.baseUrl}${path}`;
    const retries = this.options.retries === undefined ? 3 : this.options.retries;
    let attempt = 0;
    for (;;) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.options.timeoutMs || 30_000);
      try {
        const response = await this.fetchImpl(url, {
          method,
          headers: this.headers(body === undefined ? undefined : { 'content-type': 'application/json' }),
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: controller.signal,
        });
        const text = await response.text();
        const data = text ? JSON.parse(text) : null;
        if (!response.ok) {
          throw new ApiError(response.status, `${method} ${path}: ${response.status}`, data);
        }
        return { data: data as T, response };
      } catch (error) {
        attempt++;
        const retryable = error instanceof ApiError ? error.retryable : true;
        if (!retryable || attempt > retries) {
          throw error;
        }
        await sleep(Math.min(2 ** attempt * 250, 10_000));
      } finally {
        clearTimeout(timer);
      }
    }
  }

  async *paginate<T>(path: string): AsyncGenerator<T, void, undefined> {
    let next: string | null = path;
    while (next) {
      const { data, response } = await this.request<T[]>('GET', next);
      for (const item of data) {
        yield item;
      }
      next = parseLinkHeader(response.headers.get('link')).next || null;
    }
  }

  async all<T>(path: string, limit = Infinity): Promise<T[]> {
    const out: T[] = [];
    for await (const item of this.paginate<T>(path)) {
      out.push(item);
      if (out.length >= limit) {
        break;
      }
    }
    return out;
  }
}

type Validator<T> = (value: unknown, path: string) => T;

export const string: Validator<string> = (value, path) => {
  if (typeof value !== 'string') {
    throw new TypeError(`${path}: expected a string`);
  }
  return value;
};

export const number: Validator<number> = (value, path) => {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${path}: expected a number`);
  }
  return value;
};

export function optional<T>(inner: Validator<T>): Validator<T | undefined> {
  return (value, path) => (value === undefined || value === null ? undefined : inner(value, path));
}

export function array<T>(inner: Validator<T>): Validator<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) {
      throw new TypeError(`${path}: expected an array`);
    }
    return value.map((item, index) => inner(item, `${path}[${index}]`));
  };
}

export function object<T extends Record<string, unknown>>(shape: { [K in keyof T]: Validator<T[K]> }): Validator<T> {
  return (value, path) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new TypeError(`${path}: expected an object`);
    }
    const out = {} as T;
    for (const key of Object.keys(shape) as Array<keyof T>) {
      out[key] = shape[key]((value as Record<string, unknown>)[key as string], `${path}.${String(key)}`);
    }
    return out;
  };
}

export const user = object({
  id: number,
  login: string,
  name: optional(string),
  repos: array(object({ id: number, fullName: string })),
});

export function summarize(users: Array<ReturnType<typeof user>>): string {
  const counts = new Map<number, number>();
  let busiest: string | undefined;
  let most = -1;
  for (const u of users) {
    counts.set(u.repos.length, (counts.get(u.repos.length) || 0) + 1);
    if (u.repos.length > most) {
      most = u.repos.length;
      busiest = u.name || u.login;
    }
  }
  const lines = [...counts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([repos, people]) => `${people} with ${repos} repos`);
  return busiest ? `${lines.join(', ')}; busiest: ${busiest}` : lines.join(', ');
}
