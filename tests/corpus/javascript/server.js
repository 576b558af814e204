'use strict';

/**
 * A small HTTP API: routing, body parsing, validation and an in-memory store.
 */
const http = require('http');
const { URL } = require('url');
const EventEmitter = require('events');

const MAX_BODY = 1024 * 1024;

class HttpError extends Error {
  constructor(status, message, details) {
    super(message || http.STATUS_CODES[status]);
    this.status = status;
    this.details = details || null;
  }

  toJSON() {
    return { error: this.message, status: this.status, details: this.details };
  }
}

class Store extends EventEmitter {
  constructor() {
    super();
    this.items = new Map();
    this.nextId = 1;
  }

  list({ offset = 0, limit = 20, tag } = {}) {
    let values = Array.from(this.items.values());
    if (tag) {
      values = values.filter((item) => item.tags && item.tags.includes(tag));
    }
    return values.slice(offset, offset + limit);
  }

  get(id) {
    const item = this.items.get(id);
    if (!item) {
      throw new HttpError(404, `no item ${id}`);
    }
    return item;
  }

  create(data) {
    const id = this.nextId++;
    const item = { id, ...data, createdAt: new Date().toISOString() };
    this.items.set(id, item);
    this.emit('created', item);
    return item;
  }

  update(id, patch) {
    const current = this.get(id);
    const next = { ...current };
    for (const [key, value] of Object.entries(patch)) {
      if (key === 'id' || key === 'createdAt') {
        continue;
      }
      if (value === null) {
        delete next[key];
      } else {
        next[key] = value;
      }
    }
    this.items.set(id, next);
    this.emit('updated', next, current);
    return next;
  }

  remove(id) {
    const existed = this.items.delete(id);
    if (existed) this.emit('removed', id);
    return existed;
  }
}

function validate(schema, data, path = '') {
  const errors = [];
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return [{ path: path || '.', message: 'expected an object' }];
  }
  for (const [key, rule] of Object.entries(schema)) {
    const value = data[key];
    const where = path ? `${path}.${key}` : key;
    if (value === undefined) {
      if (rule.required) errors.push({ path: where, message: 'is required' });
      continue;
    }
    switch (rule.type) {
      case 'string':
        if (typeof value !== 'string') {
          errors.push({ path: where, message: 'must be a string' });
        } else if (rule.maxLength && value.length > rule.maxLength) {
          errors.push({ path: where, message: `longer than ${rule.maxLength}` });
        }
        break;
      case 'number':
      case 'integer':
        if (typeof value !== 'number' || Number.isNaN(value)) {
          errors.push({ path: where, message: 'must be a number' });
        } else if (rule.type === 'integer' && !Number.isInteger(value)) {
          errors.push({ path: where, message: 'must be an integer' });
        }
        break;
      case 'array':
        if (!Array.isArray(value)) {
          errors.push({ path: where, message: 'must be an array' });
        }
        break;
      case 'object':
        errors.push(...validate(rule.properties || {}, value, where));
        break;
      default:
        throw new Error(`unknown rule type ${rule.type}`);
    }
  }
  return errors;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function parseJson(req) {
  const type = (req.headers['content-type'] || '').split(';')[0].trim();
  if (type !== 'application/json') {
    throw new HttpError(415, 'expected application/json');
  }
  const raw = await readBody(req);
  try {
    return raw.length ? JSON.parse(raw.toString('utf8')) : {};
  } catch (err) {
    throw new HttpError(400, 'invalid JSON', err.message);
  }
}

function compile(pattern) {
  const keys = [];
  const source = pattern
    .split('/')
    .map((part) => {
      if (part.startsWith(':')) {
        keys.push(part.slice(1));
        return '([^/]+)';
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { regex: new RegExp(`^${source}/?$`), keys };
}

class Router {
  constructor() {
    this.routes = [];
  }

  add(method, pattern, handler) {
    this.routes.push({ method, handler, ...compile(pattern) });
    return this;
  }

  find(method, pathname) {
    let pathMatched = false;
    for (const route of this.routes) {
      const match = route.regex.exec(pathname);
      if (!match) continue;
      pathMatched = true;
      if (route.method !== method && !(route.method === 'GET' && method === 'HEAD')) continue;
      const params = {};
      route.keys.forEach((key, index) => {
        params[key] = decodeURIComponent(match[index + 1]);
      });
      return { handler: route.handler, params };
    }
    throw new HttpError(pathMatched ? 405 : 404);
  }
}

const itemSchema = {
  name: { type: 'string', required: true, maxLength: 80 },
  price: { type: 'number', required: true },
  quantity: { type: 'integer' },
  tags: { type: 'array' },
  dimensions: { type: 'object', properties: { width: { type: 'number' }, height: { type: 'number' } } },
};

function createApp(store = new Store()) {
  const router = new Router();

  router.add('GET', '/items', async (req, res, { query }) => {
    const limit = Math.min(parseInt(query.get('limit') || '20', 10), 100);
    const offset = parseInt(query.get('offset') || '0', 10);
    send(res, 200, store.list({ offset, limit, tag: query.get('tag') || undefined }));
  });

  router.add('GET', '/items/:id', async (req, res, { params }) => {
    send(res, 200, store.get(Number(params.id)));
  });

  router.add('POST', '/items', async (req, res) => {
    const data = await parseJson(req);
    const errors = validate(itemSchema, data);
    if (errors.length > 0) {
      throw new HttpError(422, 'validation failed', errors);
    }
    send(res, 201, store.create(data));
  });

  router.add('PATCH', '/items/:id', async (req, res, { params }) => {
    const patch = await parseJson(req);
    send(res, 200, store.update(Number(params.id), patch));
  });

  router.add('DELETE', '/items/:id', async (req, res, { params }) => {
    const removed = store.remove(Number(params.id));
    res.statusCode = removed ? 204 : 404;
    res.end();
  });

  return async function handle(req, res) {
    const started = process.hrtime.bigint();
    try {
      const url = new URL(req.url, `http://${req.headers.host || 'localhost'}`);
      const { handler, params } = router.find(req.method, url.pathname);
      await handler(req, res, { params, query: url.searchParams });
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      if (status >= 500) {
        console.error(err);
      }
      send(res, status, err instanceof HttpError ? err : { error: 'internal error' });
    } finally {
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      res.setHeader && !res.headersSent && res.setHeader('Server-Timing', `app;dur=${elapsed.toFixed(1)}`);
    }
  };
}

function send(res, status, payload) {
  if (res.headersSent) return;
  const body = payload === undefined ? '' : JSON.stringify(payload);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function debounce(fn, wait, { leading = false } = {}) {
  let timer = null;
  let lastArgs;
  return function debounced(...args) {
    lastArgs = args;
    const callNow = leading && timer === null;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      if (!leading) fn.apply(this, lastArgs);
    }, wait);
    if (callNow) fn.apply(this, args);
  };
}

async function pool(tasks, concurrency) {
  const results = new Array(tasks.length);
  let next = 0;
  async function worker() {
    while (next < tasks.length) {
      const index = next++;
      try {
        results[index] = { ok: true, value: await tasks[index]() };
      } catch (error) {
        results[index] = { ok: false, error };
      }
    }
  }
  const workers = [];
  for (let i = 0; i < Math.min(concurrency, tasks.length); i++) {
    workers.push(worker());
  }
  await Promise.all(workers);
  return results;
}

function parseCookies(header) {
  const out = {};
  if (!header) return out;
  header.split(';').forEach(function (part) {
    const index = part.indexOf('=');
    if (index < 0) return;
    const key = part.slice(0, index).trim();
    let value = part.slice(index + 1).trim();
    if (value[0] === '"' && value[value.length - 1] === '"') {
      value = value.slice(1, -1);
    }
    try {
      out[key] = decodeURIComponent(value);
    } catch (e) {
      out[key] = value;
    }
  });
  return out;
}

if (require.main === module) {
  const port = Number(process.env.PORT) || 3000;
  http.createServer(createApp()).listen(port, () => {
    console.log(`listening on ${port}`);
  });
}

module.exports = { createApp, Store, Router, HttpError, validate, debounce, pool, parseCookies };
