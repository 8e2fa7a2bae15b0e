/**
 * Upload of an agent version (admins; the Agent versions section of the Models page): the packager's artifact
 * (`homeostat-agent-<version>-<platform>.tar.gz`) and its detached signature (`.sig`, made with this control plane's
 * key: `npm run package:agent -- --data-dir <its data dir>`). The control plane checks name, size, gzip and signature
 * (control-plane/fleet/agent-versions.ts); its refusal is shown once, under the form, until the next attempt.
 */
import { useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, keys } from '../api/api.ts';
import { ErrorBox, Progress } from './common.tsx';

export function AgentUpload() {
  const client = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [signature, setSignature] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const upload = useMutation({
    mutationFn: () => api.uploadAgentVersion(file!, signature!, setProgress),
    onSettled: () => {
      setProgress(null);
      void client.invalidateQueries({ queryKey: keys.agentVersions });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (file && signature) upload.mutate();
  };
  return (
    <section aria-labelledby="agent-upload-title">
      <h3 id="agent-upload-title">Upload an agent version</h3>
      <form onSubmit={submit} className="row" aria-label="Upload an agent version">
        <label>
          Agent artifact (.tar.gz)
          <input
            type="file"
            accept=".tar.gz,.gz,application/gzip"
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            required
          />
        </label>
        <label>
          Signature (.sig)
          <input type="file" accept=".sig" onChange={(e) => setSignature(e.target.files?.[0] ?? null)} required />
        </label>
        <button type="submit" className="primary" disabled={upload.isPending || !file || !signature}>
          Upload
        </button>
      </form>
      {progress !== null && <Progress value={progress} label="Uploading" />}
      <ErrorBox error={upload.error} />
      {upload.isSuccess && (
        <p className="ok" role="status">
          Uploaded agent {upload.data.version} ({upload.data.platform}).
        </p>
      )}
    </section>
  );
}
