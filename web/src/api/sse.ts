/**
 * A minimal Server-Sent Events reader over fetch (EventSource cannot send an Authorization header). Reconnects with
 * exponential backoff and full jitter (1 s .. 30 s) until closed.
 */
import { authHeaders } from './http.ts';

export type SseHandlers = {
  onEvent(event: string, data: string): void;
  onOpen?(): void;
  onError?(message: string): void;
};

/** Opens `url` as an event stream; returns close(). */
export function openSse(url: string, h: SseHandlers): () => void {
  let closed = false;
  let ctrl: AbortController | null = null;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const run = async () => {
    ctrl = new AbortController();
    try {
      const res = await fetch(url, {
        headers: { accept: 'text/event-stream', ...authHeaders() },
        credentials: 'same-origin',
        signal: ctrl.signal,
      });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      attempt = 0;
      h.onOpen?.();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length) h.onEvent(event, data.join('\n'));
        }
      }
      throw new Error('stream ended');
    } catch (err) {
      if (closed) return;
      h.onError?.(err instanceof Error ? err.message : String(err));
      const delay = Math.random() * Math.min(30_000, 1000 * 2 ** attempt++);
      timer = setTimeout(() => void run(), delay);
    }
  };
  void run();
  return () => {
    closed = true;
    if (timer) clearTimeout(timer);
    ctrl?.abort();
  };
}
