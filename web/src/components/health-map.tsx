/**
 * The fleet health map: one coloured cell per host, grouped, drawn on a canvas so 5,000+ hosts stay cheap and
 * readable. Cell size shrinks with fleet size (min 8 px); groups are blocks that flow and wrap. Hover shows the host;
 * click or Enter opens it; arrow keys move a focus ring between cells (Left/Right in list order, Up/Down to the
 * nearest cell in the row above/below, across groups), announced to screen readers and exposed as
 * `data-focused-host`; the canvas's label summarises the counts (`data-hosts` is the number of cells).
 */
import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import { HEALTH_COLORS, HEALTH_WORDS, type Health } from './common.tsx';

export type MapHost = { id: string; hostname: string; health: Health; anomaly: number | null };
export type MapGroup = { name: string; hosts: MapHost[] };

type Cell = { x: number; y: number; host: MapHost; index: number };
type Head = { name: string; x: number; y: number; count: number };
const HEADER = 18;
const GAP = 2;
/** Horizontal space between group blocks sharing a line. */
const BLOCK_GAP = 16;

/**
 * Groups are blocks flowing left to right and wrapping, like racks on a floor plan: a block is about twice as wide as
 * tall (2·√n cells, at least its heading, at most the full width), so 50 racks of 100 hosts fill a few screens' width
 * instead of 50 thin full-width stripes.
 */
function layout(
  groups: MapGroup[],
  width: number,
  total: number,
): { cells: Cell[]; heads: Head[]; height: number; size: number } {
  const size = total > 2000 ? 8 : total > 500 ? 11 : total > 100 ? 16 : 22;
  const pitch = size + GAP;
  const cols = Math.max(1, Math.floor((width + GAP) / pitch));
  const cells: Cell[] = [];
  const heads: Head[] = [];
  let x = 0;
  let y = 0;
  let lineHeight = 0;
  for (const g of groups) {
    const n = g.hosts.length;
    const label = `${g.name} (${n})`;
    const labelCols = Math.ceil((label.length * 7 + 4) / pitch);
    const bc = Math.min(cols, Math.max(labelCols, Math.min(n, Math.ceil(Math.sqrt(n)) * 2)));
    const blockWidth = bc * pitch - GAP;
    if (x > 0 && x + blockWidth > width) {
      x = 0;
      y += lineHeight + 8;
      lineHeight = 0;
    }
    heads.push({ name: g.name, x, y, count: n });
    g.hosts.forEach((host, i) => {
      cells.push({ x: x + (i % bc) * pitch, y: y + HEADER + Math.floor(i / bc) * pitch, host, index: cells.length });
    });
    lineHeight = Math.max(lineHeight, HEADER + Math.ceil(n / bc) * pitch);
    x += blockWidth + BLOCK_GAP;
  }
  return { cells, heads, height: Math.max(y + lineHeight + 4, 40), size };
}

/** The cell in the next row up/down (across group headers) nearest in x; the same cell at the edge. */
function vertical(cells: Cell[], from: number, dir: 1 | -1): number {
  const c = cells[from]!;
  let rowY: number | null = null;
  for (const o of cells) if (dir * (o.y - c.y) > 0 && (rowY === null || dir * (o.y - rowY) < 0)) rowY = o.y;
  if (rowY === null) return from;
  let best = from;
  let dist = Infinity;
  for (const o of cells) {
    if (o.y !== rowY) continue;
    const d = Math.abs(o.x - c.x);
    if (d < dist) [best, dist] = [o.index, d];
  }
  return best;
}

export function HealthMap({ groups, onOpen }: { groups: MapGroup[]; onOpen: (id: string) => void }) {
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [width, setWidth] = useState(800);
  const [focus, setFocus] = useState<number | null>(null);
  const [hover, setHover] = useState<Cell | null>(null);
  const total = groups.reduce((n, g) => n + g.hosts.length, 0);
  const lay = useMemo(() => layout(groups, width, total), [groups, width, total]);

  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    setWidth(el.clientWidth);
    return () => ro.disconnect();
  }, []);

  useEffect(() => {
    const c = canvas.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    const dpr = window.devicePixelRatio || 1;
    c.width = width * dpr;
    c.height = lay.height * dpr;
    c.style.width = `${width}px`;
    c.style.height = `${lay.height}px`;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, lay.height);
    const fg = getComputedStyle(c).color;
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    for (const h of lay.heads) {
      ctx.fillStyle = fg;
      ctx.fillText(`${h.name} (${h.count})`, h.x, h.y + 2);
    }
    for (const cell of lay.cells) {
      ctx.fillStyle = HEALTH_COLORS[cell.host.health];
      ctx.fillRect(cell.x, cell.y, lay.size, lay.size);
    }
    const f = focus !== null ? lay.cells[focus] : null;
    if (f) {
      ctx.strokeStyle = fg;
      ctx.lineWidth = 2;
      ctx.strokeRect(f.x - 2, f.y - 2, lay.size + 4, lay.size + 4);
    }
  }, [lay, width, focus]);

  const cellAt = (e: MouseEvent<HTMLCanvasElement>): Cell | null => {
    const r = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - r.left;
    const y = e.clientY - r.top;
    return lay.cells.find((c) => x >= c.x && x < c.x + lay.size && y >= c.y && y < c.y + lay.size) ?? null;
  };

  const onKey = (e: KeyboardEvent<HTMLCanvasElement>) => {
    if (lay.cells.length === 0) return;
    const cur = Math.min(focus ?? 0, lay.cells.length - 1);
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, Home: -cur, End: lay.cells.length };
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (focus !== null) setFocus(vertical(lay.cells, cur, e.key === 'ArrowDown' ? 1 : -1));
      else setFocus(0);
    } else if (e.key in moves) {
      e.preventDefault();
      setFocus(Math.min(lay.cells.length - 1, Math.max(0, focus === null ? 0 : cur + moves[e.key]!)));
    } else if ((e.key === 'Enter' || e.key === ' ') && focus !== null) {
      e.preventDefault();
      onOpen(lay.cells[cur]!.host.id);
    }
  };

  const counts = useMemo(() => {
    const c: Record<Health, number> = { healthy: 0, warning: 0, critical: 0, offline: 0 };
    for (const g of groups) for (const h of g.hosts) c[h.health]++;
    return c;
  }, [groups]);
  // A filter can shrink the map under the focus ring: keep it on an existing cell.
  useEffect(() => {
    if (focus !== null && focus >= lay.cells.length) setFocus(lay.cells.length > 0 ? lay.cells.length - 1 : null);
  }, [focus, lay.cells.length]);
  const focused = focus !== null ? lay.cells[focus]?.host : undefined;
  const summary = `Health map of ${total} hosts: ${counts.healthy} healthy, ${counts.warning} warning, ${counts.critical} critical, ${counts.offline} offline. Use arrow keys to move between hosts and Enter to open one.`;

  return (
    <div className="health-map" ref={wrap}>
      <ul className="legend" aria-hidden="true">
        {(Object.keys(counts) as Health[]).map((h) => (
          <li key={h}>
            <span className="dot" style={{ background: HEALTH_COLORS[h] }} /> {HEALTH_WORDS[h]} {counts[h]}
          </li>
        ))}
      </ul>
      <canvas
        ref={canvas}
        tabIndex={0}
        role="img"
        aria-label={summary}
        data-testid="health-map"
        data-hosts={total}
        data-focused-host={focused?.hostname}
        onKeyDown={onKey}
        onFocus={() => focus === null && lay.cells.length > 0 && setFocus(0)}
        onMouseMove={(e) => setHover(cellAt(e))}
        onMouseLeave={() => setHover(null)}
        onClick={(e) => {
          const c = cellAt(e);
          if (c) onOpen(c.host.id);
        }}
        style={{ cursor: hover ? 'pointer' : 'default' }}
      />
      {hover && (
        <div className="map-tip" style={{ left: hover.x + lay.size + 6, top: hover.y }}>
          <strong>{hover.host.hostname}</strong> — {HEALTH_WORDS[hover.host.health]}
          {hover.host.anomaly !== null && `, anomaly ${hover.host.anomaly.toFixed(2)}`}
        </div>
      )}
      <p className="sr-only" aria-live="polite">
        {focused
          ? `${focused.hostname}: ${HEALTH_WORDS[focused.health]}${focused.anomaly !== null ? `, anomaly score ${focused.anomaly.toFixed(2)}` : ''}`
          : ''}
      </p>
    </div>
  );
}
