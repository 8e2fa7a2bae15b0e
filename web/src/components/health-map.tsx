/**
 * The fleet health map: one coloured cell per host, grouped, drawn on a canvas so 5,000+ hosts stay cheap and
 * readable. Cell size shrinks with fleet size (min 6 px). Hover shows the host; click or Enter opens it; arrow keys
 * move a focus ring between cells (announced to screen readers).
 */
import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent } from 'react';
import { HEALTH_COLORS, HEALTH_WORDS, type Health } from './common.tsx';

export type MapHost = { id: string; hostname: string; health: Health; anomaly: number | null };
export type MapGroup = { name: string; hosts: MapHost[] };

type Cell = { x: number; y: number; host: MapHost; index: number };
const HEADER = 18;
const GAP = 2;

function layout(groups: MapGroup[], width: number, total: number): { cells: Cell[]; heads: { name: string; y: number; count: number }[]; height: number; size: number } {
  const size = total > 2000 ? 8 : total > 500 ? 11 : total > 100 ? 16 : 22;
  const cols = Math.max(1, Math.floor((width + GAP) / (size + GAP)));
  const cells: Cell[] = [];
  const heads: { name: string; y: number; count: number }[] = [];
  let y = 0;
  for (const g of groups) {
    heads.push({ name: g.name, y, count: g.hosts.length });
    y += HEADER;
    g.hosts.forEach((host, i) => {
      cells.push({ x: (i % cols) * (size + GAP), y: y + Math.floor(i / cols) * (size + GAP), host, index: cells.length });
    });
    y += Math.ceil(g.hosts.length / cols) * (size + GAP) + 8;
  }
  return { cells, heads, height: Math.max(y, 40), size };
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
      ctx.fillText(`${h.name} (${h.count})`, 0, h.y + 2);
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
    const cur = focus ?? 0;
    const cols = Math.max(1, Math.floor((width + GAP) / (lay.size + GAP)));
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols, Home: -cur, End: lay.cells.length };
    if (e.key in moves) {
      e.preventDefault();
      setFocus(Math.min(lay.cells.length - 1, Math.max(0, focus === null ? 0 : cur + moves[e.key]!)));
    } else if ((e.key === 'Enter' || e.key === ' ') && focus !== null) {
      e.preventDefault();
      onOpen(lay.cells[focus]!.host.id);
    }
  };

  const counts = useMemo(() => {
    const c: Record<Health, number> = { healthy: 0, warning: 0, critical: 0, offline: 0 };
    for (const g of groups) for (const h of g.hosts) c[h.health]++;
    return c;
  }, [groups]);
  const focused = focus !== null ? lay.cells[focus]?.host : undefined;
  const summary = `Health map of ${total} hosts: ${counts.healthy} healthy, ${counts.warning} anomalous, ${counts.critical} critical, ${counts.offline} offline. Use arrow keys to move between hosts and Enter to open one.`;

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
        {focused ? `${focused.hostname}: ${HEALTH_WORDS[focused.health]}${focused.anomaly !== null ? `, anomaly score ${focused.anomaly.toFixed(2)}` : ''}` : ''}
      </p>
    </div>
  );
}
