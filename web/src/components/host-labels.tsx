/**
 * Re-label a host (admin): its labels as `key=value` lines, checked as typed, saved all at once. Label selectors
 * (rollouts, silences), grouping and incidents use the new labels from then on.
 */
import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import type { Host } from '../api/types.ts';
import { labelsToLines, parseLabelLines } from '../label-lines.ts';
import { ErrorBox } from './common.tsx';

export function HostLabelsEdit({
  host,
  onDone,
}: {
  host: Pick<Host, 'id' | 'hostname' | 'labels'>;
  onDone: () => void;
}) {
  const client = useQueryClient();
  const [text, setText] = useState(labelsToLines(host.labels));
  const parsed = parseLabelLines(text);
  const save = useMutation({
    mutationFn: (labels: Record<string, string>) => api.relabelHost(host.id, labels),
    onSuccess: (h) => {
      client.setQueryData(keys.host(host.id), h);
      void client.invalidateQueries({ queryKey: keys.hosts });
      onDone();
    },
  });
  return (
    <form
      className="stack callout"
      aria-label={`Labels of ${host.hostname}`}
      onSubmit={(e) => {
        e.preventDefault();
        if (parsed.labels) save.mutate(parsed.labels);
      }}
    >
      <label>
        Labels of {host.hostname} (one key=value per line)
        <textarea
          rows={Math.max(3, text.split('\n').length + 1)}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
      </label>
      {parsed.error && (
        <p className="score-crit" role="status">
          {parsed.error}
        </p>
      )}
      <p className="muted">Rollout and silence selectors, grouping and incidents use the new labels from now on.</p>
      <p className="actions">
        <button type="submit" className="primary" disabled={!!parsed.error || save.isPending}>
          Save labels
        </button>
        <button type="button" onClick={onDone} disabled={save.isPending}>
          Cancel
        </button>
      </p>
      <ErrorBox error={save.error} title="Cannot save the labels" />
    </form>
  );
}
