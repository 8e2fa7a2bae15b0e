/**
 * Model registry: every uploaded model (name@version, feature schema, size, sha256), upload of an .onnx with its card
 * (multipart, with progress), publishing as a canary rollout (named canary hosts, then waves; a regression rolls the
 * treated hosts back automatically), and each model rollout's progress with halt and roll back.
 */
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import type { Model } from '../api/types.ts';
import { Empty, ErrorBox, Loading, Progress, Time } from '../components/common.tsx';
import { ReadOnlyNote, useCan } from '../session.tsx';
import { Rollouts } from '../components/rollouts.tsx';
import { DeployedModels } from '../components/deployed-models.tsx';
import { FleetRefit } from '../components/fleet-refit.tsx';
import { AgentVersions } from '../components/agent-versions.tsx';
import { SoakField } from '../components/soak-field.tsx';
import { TableWrap } from '../components/table-wrap.tsx';

export function ModelsPage() {
  const client = useQueryClient();
  const canUpload = useCan('admin');
  const canPublish = useCan('operator');
  const models = useQuery({
    queryKey: keys.models,
    queryFn: api.modelList,
    select: (r) => r.models,
    refetchInterval: 10_000,
  });
  const [file, setFile] = useState<File | null>(null);
  const [card, setCard] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [publishing, setPublishing] = useState<Model | null>(null);
  const upload = useMutation({
    mutationFn: () => api.uploadModel(file!, card!, setProgress),
    onSettled: () => {
      setProgress(null);
      void client.invalidateQueries({ queryKey: keys.models });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (file && card) upload.mutate();
  };
  return (
    <>
      <h1>Models</h1>
      <DeployedModels registry={models.data ?? []} />
      <h2>Registry</h2>
      <ErrorBox error={models.error} title="Cannot load the model registry" />
      {models.isPending ? (
        <Loading what="models" />
      ) : (models.data ?? []).length === 0 ? (
        <Empty>No models uploaded: the hosts run the models bundled with the agent (above).</Empty>
      ) : (
        <TableWrap label="Model registry">
          <table>
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Version</th>
                <th scope="col">Features</th>
                <th scope="col">Size</th>
                <th scope="col">sha256</th>
                <th scope="col">Added</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(models.data ?? []).map((m) => (
                <tr key={m.id} data-model={m.id}>
                  <th scope="row">{m.name}</th>
                  <td>{m.version}</td>
                  <td>{m.featureSchemaVersion}</td>
                  <td>{(m.bytes / 1024).toFixed(1)} KiB</td>
                  <td>
                    <code title={m.sha256}>{m.sha256.slice(0, 12)}</code>
                  </td>
                  <td>
                    <Time ts={m.createdAt} />
                    {m.uploadedBy && <span className="muted"> by {m.uploadedBy}</span>}
                  </td>
                  <td className="actions">
                    {canPublish && (
                      <button type="button" onClick={() => setPublishing(m)}>
                        Publish as canary…
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {publishing && <PublishModel model={publishing} onDone={() => setPublishing(null)} />}
      <section aria-labelledby="upload-title">
        <h2 id="upload-title">Upload a model</h2>
        {!canUpload ? (
          <ReadOnlyNote needs="admin" what="uploading models" />
        ) : (
          <>
            <p className="muted">
              The card (JSON, see models/onnx/card.ts) names the model, its version, feature schema and graph
              inputs/outputs; the control plane checks the graph against it.
            </p>
            <form onSubmit={submit} className="row">
              <label>
                ONNX file
                <input type="file" accept=".onnx" onChange={(e) => setFile(e.target.files?.[0] ?? null)} required />
              </label>
              <label>
                Model card
                <input
                  type="file"
                  accept=".json,application/json"
                  onChange={(e) => setCard(e.target.files?.[0] ?? null)}
                  required
                />
              </label>
              <button type="submit" className="primary" disabled={upload.isPending || !file || !card}>
                Upload
              </button>
            </form>
            {progress !== null && <Progress value={progress} label="Uploading" />}
            <ErrorBox error={upload.error} />
            {upload.isSuccess && (
              <p className="ok" role="status">
                Uploaded {upload.data.id}.
              </p>
            )}
          </>
        )}
      </section>
      <FleetRefit />
      <Rollouts kind="model" />
      <AgentVersions />
    </>
  );
}

function PublishModel({ model, onDone }: { model: Model; onDone: () => void }) {
  const client = useQueryClient();
  const [selector, setSelector] = useState('');
  const [canaries, setCanaries] = useState('');
  const [waves, setWaves] = useState('5, 25, 100');
  const [soak, setSoak] = useState('10m');
  const percents = waves
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isFinite(n) && n > 0);
  const names = canaries
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const publish = useMutation({
    mutationFn: () => api.publishModel(model.id, selector, names, percents, soak.trim() || undefined),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: keys.rollouts });
      onDone();
    },
  });
  return (
    <section className="card" aria-labelledby="publish-model">
      <h2 id="publish-model">Publish {model.id}</h2>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          publish.mutate();
        }}
      >
        <label>
          Target hosts (label selector, empty = all)
          <input value={selector} onChange={(e) => setSelector(e.target.value)} placeholder="e.g. role=db" />
        </label>
        <label>
          Canary hosts (hostnames or ids, comma-separated; first wave)
          <input value={canaries} onChange={(e) => setCanaries(e.target.value)} />
        </label>
        <label>
          Waves after the canaries (cumulative %)
          <input value={waves} onChange={(e) => setWaves(e.target.value)} inputMode="numeric" />
        </label>
        <SoakField value={soak} onChange={setSoak} />
        <div className="actions">
          <button type="submit" className="primary" disabled={publish.isPending || percents.length === 0}>
            Start the canary rollout
          </button>
          <button type="button" onClick={onDone}>
            Cancel
          </button>
        </div>
        <ErrorBox error={publish.error} />
      </form>
    </section>
  );
}
