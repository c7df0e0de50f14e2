import { Redactor } from '../common/redact';
import { BackupError } from '../common/backup.error';
import { DestinationUnreachableError, ObjectNotFoundError, UploadFailedError } from './destination.errors';

/** What the translator needs to word a message; never the secret itself (only to redact it). */
export interface S3ErrorContext {
  bucket: string;
  /** The endpoint as configured, or "AWS S3 (<region>)". */
  endpoint: string;
  /** What was being done, e.g. "uploading my-app/2026-11-21-02-00-00.zip". */
  action: string;
  redactor: Redactor;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
]);

/**
 * Turns an AWS SDK error into a BackupError that says what went wrong and which environment
 * variable to look at. Every message goes through the redactor: secrets never leak.
 */
export function translateS3Error(err: unknown, ctx: S3ErrorContext): BackupError {
  if (err instanceof BackupError) return err;
  const e = (err ?? {}) as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const code = e.name && e.name !== 'Error' ? e.name : (e.code ?? '');
  const status = e.$metadata?.httpStatusCode;
  const clean = (s: string) => ctx.redactor.redact(s);
  const where = `s3://${ctx.bucket} at ${ctx.endpoint}`;

  if (code === 'InvalidAccessKeyId') {
    return new DestinationUnreachableError(
      clean(`${ctx.action} on ${where} failed: the S3 access key was refused (InvalidAccessKeyId)`),
      'check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY',
    );
  }
  if (code === 'SignatureDoesNotMatch') {
    return new DestinationUnreachableError(
      clean(`${ctx.action} on ${where} failed: the S3 secret key was refused (SignatureDoesNotMatch)`),
      'check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY',
    );
  }
  if (code === 'CredentialsProviderError') {
    return new DestinationUnreachableError(
      clean(`${ctx.action} on ${where} failed: no S3 credentials were found`),
      'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    );
  }
  if (code === 'NoSuchBucket') {
    return new DestinationUnreachableError(
      clean(`${ctx.action} failed: the bucket "${ctx.bucket}" does not exist at ${ctx.endpoint}`),
      'check AWS_BUCKET (and AWS_DEFAULT_REGION / AWS_ENDPOINT), or create the bucket',
    );
  }
  if (code === 'NoSuchKey' || (code === 'NotFound' && status === 404)) {
    return new ObjectNotFoundError(clean(`${ctx.action} on ${where} failed: no such object`), 'run backup:list to see the stored backups');
  }
  if (code === 'AccessDenied' || code === 'Forbidden' || status === 403) {
    return new DestinationUnreachableError(
      clean(`${ctx.action} on ${where} failed: access denied (${code || status})`),
      'check that the key in AWS_ACCESS_KEY_ID may list, read, write and delete in AWS_BUCKET',
    );
  }
  const notS3 = notS3Answer(err);
  if (notS3) {
    return new DestinationUnreachableError(
      clean(`${ctx.action} failed: the endpoint at ${ctx.endpoint} answered with something that is not S3 (${notS3})`),
      'check AWS_ENDPOINT: it must be the address of the S3 API (e.g. https://s3.eu-west-1.amazonaws.com, or the API port of MinIO), not a web page',
    );
  }
  const netCode = findNetworkCode(err);
  if (netCode || code === 'TimeoutError' || code === 'AbortError' || code === 'RequestTimeout') {
    return new DestinationUnreachableError(
      clean(`${ctx.action} failed: cannot reach S3 endpoint ${ctx.endpoint} (${netCode ?? code})`),
      'check AWS_ENDPOINT (and AWS_USE_PATH_STYLE_ENDPOINT) and the network',
    );
  }
  return new UploadFailedError(clean(`${ctx.action} on ${where} failed: ${code ? `${code}: ` : ''}${e.message ?? String(err)}`));
}

/**
 * The SDK could not read the answer as S3's XML ("XML parse error: mismatched tags", its
 * "Deserialization error"): what answered, from the raw response the SDK keeps on the error.
 */
function notS3Answer(err: unknown): string | undefined {
  const e = err as { message?: string; $response?: { statusCode?: number; headers?: Record<string, string> }; $responseBodyText?: string };
  if (!/XML parse error|Deserialization error/i.test(e?.message ?? '')) return undefined;
  const type = e.$response?.headers?.['content-type']?.split(';')[0] || 'no content type';
  const start = (e.$responseBodyText ?? '').replace(/\s+/g, ' ').trim().slice(0, 40);
  return `${type}, HTTP ${e.$response?.statusCode ?? '?'}${start ? `, starts with '${start}'` : ''}`;
}

/** Node network errors can be wrapped (AggregateError, cause); look through them. */
function findNetworkCode(err: unknown, depth = 0): string | undefined {
  if (!err || typeof err !== 'object' || depth > 4) return undefined;
  const e = err as { code?: string; message?: string; cause?: unknown; errors?: unknown[] };
  if (e.code && NETWORK_CODES.has(e.code)) return e.code;
  // The SDK wraps socket errors as "AWS SDK error wrapper for Error: connect ECONNREFUSED ...".
  const inMessage = /\b(E[A-Z_]{4,})\b/.exec(e.message ?? '')?.[1];
  if (inMessage && NETWORK_CODES.has(inMessage)) return inMessage;
  for (const inner of [e.cause, ...(e.errors ?? [])]) {
    const found = findNetworkCode(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}
