// A tiny Markdown renderer and a client-side store, written in the style of a small front-end library.

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

function inline(text) {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '`') {
      const end = text.indexOf('`', i + 1);
      if (end > i) {
        out += `<code>${escapeHtml(text.slice(i + 1, end))}</code>`;
        i = end + 1;
        continue;
      }
    } else if (ch === '*' || ch === '_') {
      const double = text[i + 1] === ch;
      const marker = double ? ch + ch : ch;
      const end = text.indexOf(marker, i + marker.length);
      if (end > i + marker.length) {
        const tag = double ? 'strong' : 'em';
        out += `<${tag}>${inline(text.slice(i + marker.length, end))}</${tag}>`;
        i = end + marker.length;
        continue;
      }
    } else if (ch === '[') {
      const close = text.indexOf(']', i);
      if (close > 0 && text[close + 1] === '(') {
        const paren = text.indexOf(')', close);
        if (paren > 0) {
          const href = text.slice(close + 2, paren);
          out += `<a href="${escapeHtml(href)}">${inline(text.slice(i + 1, close))}</a>`;
          i = paren + 1;
          continue;
        }
      }
    }
    out += escapeHtml(ch);
    i += 1;
  }
  return out;
}

export function render(markdown) {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const html = [];
  let list = null;
  let paragraph = [];
  let fence = null;

  const flushParagraph = () => {
    if (paragraph.length) {
      html.push(`<p>${inline(paragraph.join(' '))}</p>`);
      paragraph = [];
    }
  };
  const closeList = () => {
    if (list) {
      html.push(`</${list}>`);
      list = null;
    }
  };

  for (const line of lines) {
    if (fence !== null) {
      if (line.startsWith('```')) {
        html.push(`<pre><code>${escapeHtml(fence.join('\n'))}</code></pre>`);
        fence = null;
      } else {
        fence.push(line);
      }
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const bullet = /^\s*[-*]\s+(.*)$/.exec(line);
    const ordered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    if (line.startsWith('```')) {
      flushParagraph();
      closeList();
      fence = [];
    } else if (heading) {
      flushParagraph();
      closeList();
      const level = heading[1].length;
      html.push(`<h${level}>${inline(heading[2])}</h${level}>`);
    } else if (bullet || ordered) {
      flushParagraph();
      const kind = bullet ? 'ul' : 'ol';
      if (list !== kind) {
        closeList();
        html.push(`<${kind}>`);
        list = kind;
      }
      html.push(`<li>${inline((bullet || ordered)[1])}</li>`);
    } else if (line.trim() === '') {
      flushParagraph();
      closeList();
    } else {
      closeList();
      paragraph.push(line.trim());
    }
  }
  if (fence !== null) {
    html.push(`<pre><code>${escapeHtml(fence.join('\n'))}</code></pre>`);
  }
  flushParagraph();
  closeList();
  return html.join('\n');
}

export class Emitter {
  constructor() {
    this.listeners = Object.create(null);
  }

  on(event, listener) {
    (this.listeners[event] || (this.listeners[event] = [])).push(listener);
    return () => this.off(event, listener);
  }

  once(event, listener) {
    const off = this.on(event, (...args) => {
      off();
      listener(...args);
    });
    return off;
  }

  off(event, listener) {
    const list = this.listeners[event];
    if (!list) return;
    const index = list.indexOf(listener);
    if (index >= 0) list.splice(index, 1);
  }

  emit(event, ...args) {
    const list = this.listeners[event];
    if (!list) return 0;
    for (const listener of list.slice()) {
      try {
        listener(...args);
      } catch (err) {
        setTimeout(() => {
          throw err;
        });
      }
    }
    return list.length;
  }
}

export function createStore(reducer, initialState, enhancer) {
  if (typeof enhancer === 'function') {
    return enhancer(createStore)(reducer, initialState);
  }
  let state = initialState;
  let dispatching = false;
  const subscribers = new Set();

  function getState() {
    if (dispatching) {
      throw new Error('cannot read state while dispatching');
    }
    return state;
  }

  function subscribe(listener) {
    subscribers.add(listener);
    return function unsubscribe() {
      subscribers.delete(listener);
    };
  }

  function dispatch(action) {
    if (!action || typeof action.type !== 'string') {
      throw new TypeError('actions need a string type');
    }
    if (dispatching) {
      throw new Error('reducers may not dispatch');
    }
    try {
      dispatching = true;
      state = reducer(state, action);
    } finally {
      dispatching = false;
    }
    subscribers.forEach((listener) => listener());
    return action;
  }

  dispatch({ type: '@@init' });
  return { getState, subscribe, dispatch };
}

export function todos(state = [], action) {
  switch (action.type) {
    case 'add':
      return [...state, { id: action.id, text: action.text, done: false }];
    case 'toggle':
      return state.map((todo) => (todo.id === action.id ? { ...todo, done: !todo.done } : todo));
    case 'remove':
      return state.filter((todo) => todo.id !== action.id);
    case 'clear':
      return state.filter((todo) => !todo.done);
    default:
      return state;
  }
}

export const selectVisible = (state, filter) => {
  if (filter === 'done') return state.filter((t) => t.done);
  if (filter === 'open') return state.filter((t) => !t.done);
  return state;
};

export function throttle(fn, interval) {
  let last = 0;
  let pending = null;
  return function throttled(...args) {
    const now = Date.now();
    const remaining = interval - (now - last);
    if (remaining <= 0) {
      last = now;
      fn.apply(this, args);
    } else if (!pending) {
      pending = setTimeout(() => {
        pending = null;
        last = Date.now();
        fn.apply(this, args);
      }, remaining);
    }
  };
}

export function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return Number.isNaN(a) && Number.isNaN(b);
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  for (let i = 0; i < keysA.length; i++) {
    const key = keysA[i];
    if (!Object.prototype.hasOwnProperty.call(b, key) || !deepEqual(a[key], b[key])) {
      return false;
    }
  }
  return true;
}

export function formatBytes(bytes, decimals = 1) {
  if (!Number.isFinite(bytes)) return 'n/a';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const sign = bytes < 0 ? '-' : '';
  return `${sign}${value.toFixed(unit === 0 ? 0 : decimals)} ${units[unit]}`;
}

export function groupBy(items, keyOf) {
  return items.reduce((groups, item) => {
    const key = typeof keyOf === 'function' ? keyOf(item) : item[keyOf];
    (groups[key] ||= []).push(item);
    return groups;
  }, {});
}

export function* range(start, stop, step = 1) {
  if (stop === undefined) {
    [start, stop] = [0, start];
  }
  if (step === 0) throw new RangeError('step must not be zero');
  for (let value = start; step > 0 ? value < stop : value > stop; value += step) {
    yield value;
  }
}
