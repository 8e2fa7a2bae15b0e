/**
 * A uPlot time-series chart that redraws in place when data changes (no re-creation per sample). The y axis labels
 * carry the unit and the axis is as wide as its longest label (never clipped: "59.975 °C", not "9.975").
 */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { axisWidth, formatValue, type Unit } from '../units.ts';

export type ChartSeries = { label: string; color: string };

/** `data[0]` is the x axis in seconds; `data[i]` the values of `series[i-1]`. */
export function TimeChart({
  title,
  series,
  data,
  height = 180,
  yRange,
  unit = { symbol: '', bytes: false },
}: {
  title: string;
  series: ChartSeries[];
  data: (number | null)[][];
  height?: number;
  yRange?: [number, number];
  unit?: Unit;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const seriesKey = `${series.map((s) => s.label).join('|')}|${unit.symbol}`;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: true },
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

  const last = data[0]?.length ?? 0;
  return (
    <figure className="chart" aria-label={`${title}: ${last} points`} data-points={last} data-unit={unit.symbol}>
      <figcaption>
        {title}
        {unit.symbol && <span className="muted"> ({unit.symbol})</span>}
      </figcaption>
      <div ref={box} />
    </figure>
  );
}
