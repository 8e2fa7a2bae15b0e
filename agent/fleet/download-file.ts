/**
 * Writes a signed download (an agent artifact, a model file) to disk while hashing it, never holding it in memory:
 * the response body streams into the file chunk by chunk (with backpressure from the disk), counted against the size
 * the signed manifest gives. More bytes than signed stop the transfer at once (`too-large`), fewer are `truncated`;
 * on either, or any write error, the partial file is removed. The caller compares the returned sha256 with the signed
 * one.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';

/** A download that does not match its signed size. */
export class DownloadSizeError extends Error {
  constructor(
    readonly reason: 'too-large' | 'truncated',
    message: string,
  ) {
    super(message);
  }
}

/** What was written: its length and sha256 (hex). */
export interface Written {
  bytes: number;
  sha256: string;
}

/**
 * Streams `res`'s body into `file` (mode 0600), bounded by `expected` bytes (the signed size). Throws
 * {@link DownloadSizeError} when the server announces or sends more, or sends fewer; other errors (the connection
 * cut, the disk full) are rethrown with what had arrived. The file exists only when this resolves.
 */
export async function downloadToFile(res: Response, file: string, expected: number): Promise<Written> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > expected)
    throw new DownloadSizeError('too-large', `the server sends ${declared} bytes, the signed size is ${expected}`);
  if (!res.body) throw new DownloadSizeError('truncated', 'the response has no body');
  const hash = createHash('sha256');
  let got = 0;
  const count = new Transform({
    transform(chunk: Buffer, _enc, done) {
      got += chunk.length;
      if (got > expected)
        return done(new DownloadSizeError('too-large', `the download exceeds the signed size of ${expected} bytes`));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  // The global fetch's stream and node:stream/web's are the same class at run time; only their typings differ.
  const body = res.body as NodeReadableStream<Uint8Array>;
  try {
    await pipeline(Readable.fromWeb(body), count, createWriteStream(file, { mode: 0o600 }));
  } catch (err) {
    rmSync(file, { force: true });
    if (err instanceof DownloadSizeError) throw err;
    throw new DownloadSizeError(
      'truncated',
      `the download broke off after ${got} of ${expected} bytes: ${(err as Error).message}`,
    );
  }
  if (got !== expected) {
    rmSync(file, { force: true });
    throw new DownloadSizeError('truncated', `downloaded ${got} bytes, the signed size is ${expected}`);
  }
  return { bytes: got, sha256: hash.digest('hex') };
}
