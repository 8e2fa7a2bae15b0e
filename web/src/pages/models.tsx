/** Model registry: versions per model, upload with progress, canary progress, promote and roll back. */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import { Empty, ErrorBox, Loading, Progress, Time } from '../components/common.tsx';
import { Rollouts } from './policies.tsx';

export function ModelsPage() {
  const client = useQueryClient();
  const models = useQuery({ queryKey: keys.models, queryFn: api.models, refetchInterval: 10_000 });
  const [name, setName] = useState('');
  const [version, setVersion] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const upload = useMutation({
    mutationFn: () => api.uploadModel(name, version, file!, setProgress),
    onSettled: () => {
      setProgress(null);
      void client.invalidateQueries({ queryKey: keys.models });
    },
  });
  const act = useMutation({
    mutationFn: ({ n, v, a }: { n: string; v: string; a: 'canary' | 'promote' | 'rollback' }) => api.modelAction(n, v, a),
    onSettled: () => void client.invalidateQueries({ queryKey: keys.models }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (file) upload.mutate();
  };
  return (
    <>
      <h1>Models</h1>
      <ErrorBox error={models.error} title="Cannot load the model registry" />
      {models.isPending ? <Loading what="models" /> : (models.data ?? []).length === 0 ? <Empty>No models registered.</Empty> : (
        <table>
          <thead><tr><th scope="col">Model</th><th scope="col">Version</th><th scope="col">Kind</th><th scope="col">State</th><th scope="col">Canary</th><th scope="col">Added</th><th scope="col">Actions</th></tr></thead>
          <tbody>
            {(models.data ?? []).map((m) => (
              <tr key={`${m.name}@${m.version}`}>
                <th scope="row">{m.name}</th>
                <td>{m.version}</td>
                <td>{m.kind}</td>
                <td><span className={`status status-${m.state}`}>{m.state}</span></td>
                <td>{m.canary ? <Progress value={m.canary.total ? m.canary.acked / m.canary.total : 0} label={`${m.canary.acked}/${m.canary.total} ${m.canary.state}`} /> : '—'}</td>
                <td><Time ts={m.createdAt} /></td>
                <td className="actions">
                  <button type="button" onClick={() => act.mutate({ n: m.name, v: m.version, a: 'canary' })} disabled={act.isPending}>Start canary</button>
                  <button type="button" onClick={() => act.mutate({ n: m.name, v: m.version, a: 'promote' })} disabled={act.isPending}>Promote</button>
                  <button type="button" className="danger" onClick={() => act.mutate({ n: m.name, v: m.version, a: 'rollback' })} disabled={act.isPending}>Roll back</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <ErrorBox error={act.error} />
      <section aria-labelledby="upload-title">
        <h2 id="upload-title">Upload a model</h2>
        <form onSubmit={submit} className="row">
          <label>Name<input value={name} onChange={(e) => setName(e.target.value)} required placeholder="anomaly" /></label>
          <label>Version<input value={version} onChange={(e) => setVersion(e.target.value)} required placeholder="2024.06.1" /></label>
          <label>ONNX file<input type="file" accept=".onnx,application/octet-stream" onChange={(e) => setFile(e.target.files?.[0] ?? null)} required /></label>
          <button type="submit" className="primary" disabled={upload.isPending || !file}>Upload</button>
        </form>
        {progress !== null && <Progress value={progress} label="Uploading" />}
        <ErrorBox error={upload.error} />
        {upload.isSuccess && <p className="ok" role="status">Uploaded {name} {version}.</p>}
      </section>
      <Rollouts kind="model" />
    </>
  );
}
