/**
 * A uPlot time-series chart that redraws in place when data changes (no re-creation per sample). The y axis labels
 * carry the unit and the axis is as wide as its longest label (never clipped: "59.975 °C", not "9.975").
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { axisWidth, formatValue, type Unit } from '../units.ts';

export type ChartSeries = { label: string; color: string };

/**
 * A uPlot plugin that shades `bands()` (x ranges in seconds: anomaly alert episodes) and draws a vertical line at
 * `marker()` (the moment a link points at), under the series.
 */
function overlays(bands: () => readonly [number, number][], marker: () => number | null): uPlot.Plugin {
  return {
    hooks: {
      drawClear: (u) => {
        const { ctx, bbox } = u;
        ctx.save();
        ctx.fillStyle = 'rgba(217, 63, 63, 0.14)';
        for (const [from, to] of bands()) {
          const x0 = Math.max(bbox.left, u.valToPos(from, 'x', true));
          const x1 = Math.min(bbox.left + bbox.width, u.valToPos(to, 'x', true));
          if (x1 > x0) ctx.fillRect(x0, bbox.top, Math.max(2, x1 - x0), bbox.height);
        }
        const m = marker();
        if (m !== null) {
          const x = u.valToPos(m, 'x', true);
          if (x >= bbox.left && x <= bbox.left + bbox.width) {
            ctx.strokeStyle = '#d93f3f';
            ctx.lineWidth = 2;
            ctx.setLineDash([6, 4]);
            ctx.beginPath();
            ctx.moveTo(x, bbox.top);
            ctx.lineTo(x, bbox.top + bbox.height);
            ctx.stroke();
          }
        }
        ctx.restore();
      },
    },
  };
}

/** `data[0]` is the x axis in seconds; `data[i]` the values of `series[i-1]`. */
export function TimeChart({
  title,
  series,
  data,
  height = 180,
  yRange,
  unit = { symbol: '', bytes: false },
  bands = [],
  marker = null,
}: {
  title: string;
  series: ChartSeries[];
  data: (number | null)[][];
  height?: number;
  yRange?: [number, number];
  unit?: Unit;
  /** Shaded x ranges in seconds (anomaly alert episodes). */
  bands?: readonly [number, number][];
  /** A moment in seconds marked with a dashed line. */
  marker?: number | null;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const seriesKey = `${series.map((s) => s.label).join('|')}|${unit.symbol}`;
  const extra = useRef({ bands, marker });
  extra.current = { bands, marker };

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: true },
      plugins: [
        overlays(
          () => extra.current.bands,
          () => extra.current.marker,
        ),
      ],
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true }, ...(yRange ? { y: { range: yRange } } : {}) },
      axes: [
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,.15)' } },
        {
          stroke: 'currentColor',
          grid: { stroke: 'rgba(128,128,128,.15)' },
          values: (_u, splits) => {
            const step = splits.length > 1 ? Math.abs(splits[1]! - splits[0]!) : 0;
            return splits.map((v) => formatValue(v, unit, step));
          },
          size: (_u, values) => axisWidth(values ?? []),
        },
      ],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, spanGaps: false }))],
    };
    plot.current = new uPlot(opts, data as uPlot.AlignedData, el);
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // Re-create only when the set of series changes; data updates go through setData below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [seriesKey, height]);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);
  useEffect(() => {
    plot.current?.redraw(false);
  }, [bands, marker]);

  const last = data[0]?.length ?? 0;
  return (
    <figure
      className="chart"
      aria-label={`${title}: ${last} points`}
      data-points={last}
      data-unit={unit.symbol}
      data-bands={bands.length}
      data-marker={marker ?? undefined}
    >
      <figcaption>
        {title}
        {unit.symbol && <span className="muted"> ({unit.symbol})</span>}
      </figcaption>
      <div ref={box} />
    </figure>
  );
}
