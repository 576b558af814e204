import React, { useMemo, useState } from 'react';

export type SortDirection = 'asc' | 'desc';

export interface Column<Row> {
  key: keyof Row & string;
  title: string;
  sortable?: boolean;
  width?: number;
  render?: (row: Row) => React.ReactNode;
  compare?: (a: Row, b: Row) => number;
}

export interface DataTableProps<Row> {
  rows: Row[];
  columns: Column<Row>[];
  pageSize?: number;
  filterText?: string;
  onSelect?: (row: Row) => void;
}

export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: 'base' });
}

export function matchesFilter<Row>(row: Row, columns: Column<Row>[], text: string): boolean {
  if (!text) {
    return true;
  }
  const needle = text.toLowerCase();
  for (const column of columns) {
    const value = row[column.key];
    if (value !== null && value !== undefined && String(value).toLowerCase().includes(needle)) {
      return true;
    }
  }
  return false;
}

export function pageWindow(current: number, total: number, width = 5): number[] {
  if (total <= width) {
    return Array.from({ length: total }, (_, i) => i);
  }
  let start = Math.max(0, current - Math.floor(width / 2));
  const end = Math.min(total, start + width);
  if (end - start < width) {
    start = Math.max(0, end - width);
  }
  const pages: number[] = [];
  for (let page = start; page < end; page++) {
    pages.push(page);
  }
  return pages;
}

export function useSort<Row>(rows: Row[], columns: Column<Row>[]) {
  const [sortKey, setSortKey] = useState<string | null>(null);
  const [direction, setDirection] = useState<SortDirection>('asc');

  const sorted = useMemo(() => {
    if (sortKey === null) {
      return rows;
    }
    const column = columns.find((c) => c.key === sortKey);
    if (!column) {
      return rows;
    }
    const compare = column.compare || ((a: Row, b: Row) => compareValues(a[column.key], b[column.key]));
    const copy = rows.slice().sort(compare);
    return direction === 'asc' ? copy : copy.reverse();
  }, [rows, columns, sortKey, direction]);

  const toggle = (key: string) => {
    if (key !== sortKey) {
      setSortKey(key);
      setDirection('asc');
    } else if (direction === 'asc') {
      setDirection('desc');
    } else {
      setSortKey(null);
    }
  };

  return { sorted, sortKey, direction, toggle };
}

function SortIcon({ active, direction }: { active: boolean; direction: SortDirection }) {
  if (!active) {
    return <span className="sort-icon">↕</span>;
  }
  return <span className="sort-icon">{direction === 'asc' ? '↑' : '↓'}</span>;
}

export function DataTable<Row extends { id: string | number }>(props: DataTableProps<Row>) {
  const { rows, columns, pageSize = 20, filterText = '', onSelect } = props;
  const [page, setPage] = useState(0);
  const [selected, setSelected] = useState<Row['id'] | null>(null);

  const filtered = useMemo(() => rows.filter((row) => matchesFilter(row, columns, filterText)), [rows, columns, filterText]);
  const { sorted, sortKey, direction, toggle } = useSort(filtered, columns);
  const pageCount = Math.max(1, Math.ceil(sorted.length / pageSize));
  const current = Math.min(page, pageCount - 1);
  const visible = sorted.slice(current * pageSize, (current + 1) * pageSize);

  const select = (row: Row) => {
    setSelected(row.id === selected ? null : row.id);
    if (onSelect) {
      onSelect(row);
    }
  };

  const header = columns.map((column) => (
    <th key={column.key} style={column.width ? { width: column.width } : undefined} onClick={column.sortable ? () => toggle(column.key) : undefined}>
      {column.title}
      {column.sortable && <SortIcon active={sortKey === column.key} direction={direction} />}
    </th>
  ));

  const body = visible.map((row) => (
    <tr key={row.id} className={row.id === selected ? 'selected' : undefined} onClick={() => select(row)}>
      {columns.map((column) => (
        <td key={column.key}>{column.render ? column.render(row) : String(row[column.key] ?? '')}</td>
      ))}
    </tr>
  ));

  return (
    <div className="data-table">
      <table>
        <thead>
          <tr>{header}</tr>
        </thead>
        <tbody>{body.length ? body : <tr><td colSpan={columns.length}>No rows</td></tr>}</tbody>
      </table>
      <nav className="pager">
        <button disabled={current === 0} onClick={() => setPage(current - 1)}>Previous</button>
        {pageWindow(current, pageCount).map((p) => (
          <button key={p} className={p === current ? 'current' : undefined} onClick={() => setPage(p)}>{p + 1}</button>
        ))}
        <button disabled={current >= pageCount - 1} onClick={() => setPage(current + 1)}>Next</button>
      </nav>
    </div>
  );
}

export function formatCell(value: unknown, kind: 'money' | 'date' | 'percent' | 'text'): string {
  if (value === null || value === undefined) {
    return '';
  }
  switch (kind) {
    case 'money':
      return typeof value === 'number' ? value.toLocaleString(undefined, { style: 'currency', currency: 'EUR' }) : String(value);
    case 'date':
      return value instanceof Date ? value.toISOString().slice(0, 10) : String(value);
    case 'percent':
      return typeof value === 'number' ? `${(value * 100).toFixed(1)}%` : String(value);
    default:
      return String(value);
  }
}
