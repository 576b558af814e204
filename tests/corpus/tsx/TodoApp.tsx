import React, { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';

export interface Todo {
  id: number;
  title: string;
  done: boolean;
  due?: string;
}

type Filter = 'all' | 'open' | 'done';

type Action =
  | { type: 'add'; title: string; due?: string }
  | { type: 'toggle'; id: number }
  | { type: 'rename'; id: number; title: string }
  | { type: 'remove'; id: number }
  | { type: 'clearDone' };

let nextId = 1;

export function reducer(state: Todo[], action: Action): Todo[] {
  switch (action.type) {
    case 'add':
      if (!action.title.trim()) {
        return state;
      }
      return [...state, { id: nextId++, title: action.title.trim(), done: false, due: action.due }];
    case 'toggle':
      return state.map((todo) => (todo.id === action.id ? { ...todo, done: !todo.done } : todo));
    case 'rename':
      return state.map((todo) => (todo.id === action.id ? { ...todo, title: action.title } : todo));
    case 'remove':
      return state.filter((todo) => todo.id !== action.id);
    case 'clearDone':
      return state.filter((todo) => !todo.done);
    default:
      return state;
  }
}

function isOverdue(todo: Todo, today: string): boolean {
  return !todo.done && todo.due !== undefined && todo.due < today;
}

export function useLocalStorage<T>(key: string, initial: T): [T, (value: T) => void] {
  const [value, setValue] = useState<T>(() => {
    try {
      const stored = window.localStorage.getItem(key);
      return stored === null ? initial : (JSON.parse(stored) as T);
    } catch {
      return initial;
    }
  });
  const update = useCallback(
    (next: T) => {
      setValue(next);
      try {
        window.localStorage.setItem(key, JSON.stringify(next));
      } catch (error) {
        console.warn('could not persist', key, error);
      }
    },
    [key],
  );
  return [value, update];
}

interface ItemProps {
  todo: Todo;
  overdue: boolean;
  onToggle: (id: number) => void;
  onRename: (id: number, title: string) => void;
  onRemove: (id: number) => void;
}

export function TodoItem({ todo, overdue, onToggle, onRename, onRemove }: ItemProps) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(todo.title);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (editing && input.current) {
      input.current.focus();
      input.current.select();
    }
  }, [editing]);

  const commit = () => {
    const title = draft.trim();
    if (title && title !== todo.title) {
      onRename(todo.id, title);
    } else if (!title) {
      onRemove(todo.id);
    }
    setEditing(false);
  };

  const onKeyDown = (event: React.KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      commit();
    } else if (event.key === 'Escape') {
      setDraft(todo.title);
      setEditing(false);
    }
  };

  const className = [todo.done ? 'done' : '', overdue ? 'overdue' : ''].join(' ').trim();
  return (
    <li className={className}>
      <input type="checkbox" checked={todo.done} onChange={() => onToggle(todo.id)} />
      {editing ? (
        <input ref={input} value={draft} onChange={(e) => setDraft(e.target.value)} onBlur={commit} onKeyDown={onKeyDown} />
      ) : (
        <span onDoubleClick={() => setEditing(true)}>{todo.title}</span>
      )}
      {todo.due && <time dateTime={todo.due}>{todo.due}</time>}
      <button aria-label="remove" onClick={() => onRemove(todo.id)}>×</button>
    </li>
  );
}

export default function TodoApp({ today }: { today: string }) {
  const [stored, persist] = useLocalStorage<Todo[]>('todos', []);
  const [todos, dispatch] = useReducer(reducer, stored);
  const [filter, setFilter] = useState<Filter>('all');
  const [title, setTitle] = useState('');
  const [due, setDue] = useState('');

  useEffect(() => {
    persist(todos);
  }, [todos, persist]);

  const visible = useMemo(() => {
    switch (filter) {
      case 'open':
        return todos.filter((todo) => !todo.done);
      case 'done':
        return todos.filter((todo) => todo.done);
      default:
        return todos;
    }
  }, [todos, filter]);

  const remaining = todos.filter((todo) => !todo.done).length;

  function submit(event: React.FormEvent) {
    event.preventDefault();
    if (!title.trim()) {
      return;
    }
    dispatch({ type: 'add', title, due: due || undefined });
    setTitle('');
    setDue('');
  }

  return (
    <section className="todo-app">
      <form onSubmit={submit}>
        <input placeholder="What needs doing?" value={title} onChange={(e) => setTitle(e.target.value)} />
        <input type="date" value={due} onChange={(e) => setDue(e.target.value)} />
        <button type="submit" disabled={!title.trim()}>Add</button>
      </form>
      {visible.length === 0 ? (
        <p className="empty">{filter === 'all' ? 'Nothing to do.' : `No ${filter} items.`}</p>
      ) : (
        <ul>
          {visible.map((todo) => (
            <TodoItem
              key={todo.id}
              todo={todo}
              overdue={isOverdue(todo, today)}
              onToggle={(id) => dispatch({ type: 'toggle', id })}
              onRename={(id, newTitle) => dispatch({ type: 'rename', id, title: newTitle })}
              onRemove={(id) => dispatch({ type: 'remove', id })}
            />
          ))}
        </ul>
      )}
      <footer>
        <span>
          {remaining} {remaining === 1 ? 'item' : 'items'} left
        </span>
        {(['all', 'open', 'done'] as Filter[]).map((name) => (
          <button key={name} className={name === filter ? 'selected' : undefined} onClick={() => setFilter(name)}>{name}</button>
        ))}
        {remaining < todos.length && <button onClick={() => dispatch({ type: 'clearDone' })}>Clear done</button>}
      </footer>
    </section>
  );
}
