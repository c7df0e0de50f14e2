import type { S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { DestinationUnreachableError } from './destination.errors';

/** The endpoint is a web server (or anything else) rather than an S3 API. */
export class NotS3EndpointError extends DestinationUnreachableError {}

/** Commands whose answer carries the stored object's own Content-Type, which may well be HTML. */
const OBJECT_READS = new Set(['GetObjectCommand', 'HeadObjectCommand']);

/**
 * Makes `client` refuse answers that cannot come from S3: an HTML page (a web server, a login
 * portal, a proxy's error page). Without this the SDK either reads an empty listing out of the
 * page or fails with its raw parser text ("XML parse error: mismatched tags"); with it the error
 * says which endpoint answered what. S3 answers API calls with XML or nothing, never HTML.
 */
export function refuseNonS3Answers(client: S3Client, endpoint: string): void {
  const middleware =
    (next: (args: unknown) => Promise<{ response: unknown }>, context: { commandName?: string }) => async (args: unknown) => {
      const result = await next(args);
      const response = result.response as { statusCode?: number; headers?: Record<string, string>; body?: unknown };
      const type = response?.headers?.['content-type'] ?? '';
      if (OBJECT_READS.has(context.commandName ?? '') || !/html/i.test(type)) return result;
      // Some S3 servers (moto) label their empty or XML answers text/html: only a body that is
      // neither counts. API answers are small, so the body is read whole and handed on.
      const body = await readAll(response.body);
      const text = body.toString('utf8').trim();
      if (!text || /^<\?xml|^<[A-Za-z]+(Result|Error)\b|^<Error\b/.test(text)) {
        response.body = Readable.from([body]);
        return result;
      }
      const start = text.replace(/\s+/g, ' ').slice(0, 40);
      throw new NotS3EndpointError(
        `the endpoint at ${endpoint} answered with something that is not S3 (${type.split(';')[0]}, HTTP ${response.statusCode}` +
          `${start ? `, starts with '${start}'` : ''})`,
        'check AWS_ENDPOINT: it must be the address of the S3 API (e.g. https://s3.eu-west-1.amazonaws.com, or the API port of MinIO), not a web page',
      );
    };
  // After the deserializer in its step: called by it, so it sees the raw answer first.
  client.middlewareStack.addRelativeTo(middleware as never, {
    relation: 'after',
    toMiddleware: 'deserializerMiddleware',
    name: 'refuseNonS3Answers',
    override: true,
  });
}

/** An API answer's body, whole: S3 answers are bounded (a listing page of 1,000 keys is ~300 KB). */
async function readAll(body: unknown): Promise<Buffer> {
  if (!(body instanceof Readable)) return Buffer.from(body instanceof Uint8Array ? body : []);
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
  } catch {
    // A broken body still leaves what arrived (and the content type) to judge.
  }
  body.destroy();
  return Buffer.concat(chunks);
}
