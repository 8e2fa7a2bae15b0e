/**
 * How the agent trusts the control plane over TLS (docs/tls.md): the CA pinned at enrollment (credentials `ca`) is
 * the only trust anchor for HTTPS and MQTT over TLS; without a pin the system's CAs apply. Plain `http://`, `mqtt://`
 * and `ws://` are refused once a CA is pinned, and certificate failures read as one line naming the URL and the pin.
 */
import { request as httpsRequest } from 'node:https';
import { request as httpRequest, type IncomingMessage } from 'node:http';

const CERT_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A certificate verification failure of `url`, said plainly; other errors keep their message. */
export function describeTlsError(err: Error & { code?: string }, url: string, pinned: boolean): string {
  const code = err.code ?? '';
  if (!CERT_CODES.has(code)) return err.message;
  const against = pinned ? 'the CA pinned at enrollment (credentials.json `ca`)' : "this host's trusted CAs";
  const hint = pinned
    ? 'is this the right control plane? If its certificate authority changed, enroll again'
    : 'give the control plane CA with --ca-file FILE or its sha256 with --ca-sha256 HEX (shown on the Enrollment page)';
  return `TLS: the certificate of ${origin(url)} is not trusted by ${against}: ${err.message} (${code}); ${hint}`;
}

/** Why `url` may not be used with a pinned CA (plain transport), or null. */
export function plainTransportRefusal(url: string, pinned: boolean): string | null {
  if (!pinned || !/^(http|mqtt|ws):\/\//i.test(url)) return null;
  return `refusing ${origin(url)}: this agent enrolled over TLS and pinned its control plane's CA, so plain ${url.split(':')[0]} is not used (set server.url / server.mqttUrl to the https://, mqtts:// or wss:// address)`;
}

function origin(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return url;
  }
}

/**
 * A `fetch` that verifies HTTPS against `ca` only (Node's global fetch cannot take a CA without undici's Agent).
 * It resolves when the response headers arrive; the body streams (see {@link webStream}), so an agent artifact of
 * tens of MB passes through chunk by chunk with Node's backpressure, never whole in memory. A connection cut mid-body
 * errors the stream. Request bodies are small (JSON) and are buffered. Without `ca`, the global fetch.
 */
export function trustingFetch(ca: string | undefined): typeof fetch {
  if (!ca) return fetch;
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const refusal = plainTransportRefusal(url.href, true);
    if (refusal) throw new TypeError('fetch failed', { cause: new Error(refusal) });
    const body =
      init?.body === undefined || init.body === null
        ? undefined
        : Buffer.from(await new Response(init.body).arrayBuffer());
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    if (body) headers['content-length'] = String(body.length);
    const method = (init?.method ?? 'GET').toUpperCase();
    return new Promise<Response>((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
        url,
        { method, headers, ca, rejectUnauthorized: true, signal: init?.signal ?? undefined },
        (res) => resolve(toResponse(res, method)),
      );
      req.on('error', (err: Error & { code?: string }) =>
        reject(new TypeError('fetch failed', { cause: new Error(describeTlsError(err, url.href, true)) })),
      );
      req.end(body);
    });
  }) as typeof fetch;
}

/** A web Response over Node's response stream; statuses and methods without a body get none (and drain it). */
function toResponse(res: IncomingMessage, method: string): Response {
  const h = new Headers();
  for (const [k, v] of Object.entries(res.headers))
    for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) h.append(k, x);
  const status = res.statusCode ?? 500;
  if (status === 204 || status === 304 || method === 'HEAD') {
    res.resume();
    return new Response(null, { status, headers: h });
  }
  return new Response(webStream(res), { status, headers: h });
}

/**
 * Node's stream as a pull-based web stream: a chunk is read only when the consumer asks for one, so a slow reader
 * (a disk write) holds the socket back instead of the body piling up in memory. A connection cut before the end
 * rejects the read (premature close), which errors the stream.
 */
function webStream(res: IncomingMessage): ReadableStream<Uint8Array> {
  const chunks = res[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength));
    },
    async cancel() {
      res.destroy();
    },
  });
}
