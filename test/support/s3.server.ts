/**
 * A real S3-compatible server for tests: s3rver over HTTP on 127.0.0.1, a random free port and
 * a temporary directory, with one bucket.
 *
 * About wrong keys: s3rver answers 403 InvalidAccessKeyId to any access key id other than
 * "S3RVER", but for SigV4 (what @aws-sdk v3 sends) it never checks the signature, so a wrong
 * SECRET with the right key id is accepted. A "wrong S3 key" test can therefore use
 *   - a different accessKeyId straight against s3rver (403 InvalidAccessKeyId), or
 *   - startS3AuthProxy() below, which verifies SigV4 signatures with the expected secret and
 *     answers 403 InvalidAccessKeyId / SignatureDoesNotMatch like AWS does, forwarding the rest.
 * The proxy can also start refusing requests after N request-body bytes, to fail an upload
 * mid-way on purpose.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';

export interface TestS3Server {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** A client with the right key and WHEN_REQUIRED checksums, for looking at what landed. */
  client: S3Client;
  /** Every key in the bucket under `prefix`, sorted. */
  listKeys(prefix?: string): Promise<string[]>;
  /** The stored bytes of an object (tests only: held in memory). */
  download(key: string): Promise<Buffer>;
  /** Freezes the server process (SIGSTOP): connections stay open, nothing is answered. */
  freeze(): void;
  /** Lets a frozen server go on (SIGCONT); stop() does it too. */
  resume(): void;
  stop(): Promise<void>;
}

/**
 * s3rver runs in a child Node process started with --openssl-legacy-provider: it encrypts its
 * ListObjectsV2 continuation tokens with DES, which Node 20's OpenSSL 3 refuses otherwise, so
 * every truncated listing (more than MaxKeys objects) would fail with InternalError in-process.
 * The child exits when its stdin closes, so a crashed test never leaves it running.
 */
const CHILD_SCRIPT = `
const S3rver = require(process.env.S3RVER_MODULE);
const server = new S3rver({
  address: '127.0.0.1', port: 0, silent: true,
  directory: process.env.S3RVER_DIR,
  configureBuckets: [{ name: process.env.S3RVER_BUCKET }],
});
server.run().then((addr) => process.stdout.write(JSON.stringify({ port: addr.port }) + '\\n'),
  (err) => { process.stderr.write(String(err && err.stack || err)); process.exit(1); });
const stop = () => { try { server.httpServer.closeAllConnections(); } catch {} server.close().finally(() => process.exit(0)); };
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
`;

export async function startS3Server(options: { bucket?: string } = {}): Promise<TestS3Server> {
  const bucket = options.bucket ?? 'backups';
  const directory = await mkdtemp(path.join(tmpdir(), 's3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD_SCRIPT], {
    env: {
      PATH: process.env.PATH,
      S3RVER_MODULE: require.resolve('s3rver'),
      S3RVER_DIR: directory,
      S3RVER_BUCKET: bucket,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n')[0];
        if (out.includes('\n')) resolve(JSON.parse(line).port);
      });
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.once('exit', (code) => reject(new Error(`s3rver exited (${code}): ${err}`)));
    });
  } catch (e) {
    await rm(directory, { recursive: true, force: true });
    throw e;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const accessKeyId = 'S3RVER';
  const secretAccessKey = 'S3RVER';
  return serverHandle({
    endpoint,
    bucket,
    accessKeyId,
    secretAccessKey,
    child,
    exited,
    cleanup: () => rm(directory, { recursive: true, force: true }),
  });
}

/** Where moto's S3 server is, or undefined when it is not installed. */
export function motoServerPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, 'moto_server');
    if (dir && existsSync(file)) return file;
  }
  return undefined;
}

/**
 * moto's S3 server (`moto_server -H 127.0.0.1 -p <free port>`, in memory), with one bucket.
 * Unlike s3rver it implements ListMultipartUploads, ListParts, AbortMultipartUpload and bucket
 * lifecycle configuration, which the incomplete-upload tests need. It must be on PATH
 * (`pip install 'moto[server]'`); without it this throws saying so, and the test fails.
 */
export async function startMotoServer(options: { bucket?: string } = {}): Promise<TestS3Server> {
  const bucket = options.bucket ?? 'backups';
  const executable = motoServerPath();
  if (!executable) {
    throw new Error("This test needs moto's S3 server: moto_server is not on PATH (install it with: pip install 'moto[server]')");
  }
  const port = await freePort();
  const child = spawn(executable, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['pipe', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const endpoint = `http://127.0.0.1:${port}`;
  const handle = serverHandle({
    endpoint,
    bucket,
    accessKeyId: 'moto-test-key',
    secretAccessKey: 'moto-test-secret',
    child,
    exited,
    cleanup: async () => undefined,
  });
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const up = await new Promise<boolean>((resolve) => {
        const req = http.get(`${endpoint}/`, (res) => (res.resume(), resolve(true)));
        req.on('error', () => resolve(false));
      });
      if (up) break;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`moto_server did not start on port ${port}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await handle.client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}

async function freePort(): Promise<number> {
  const srv = http.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

function serverHandle(p: {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  child: ChildProcess;
  exited: Promise<void>;
  cleanup(): Promise<void>;
}): TestS3Server {
  const { endpoint, bucket, accessKeyId, secretAccessKey, child, exited } = p;
  const region = 'us-east-1';
  const client = new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  let stopped: Promise<void> | undefined;

  return {
    endpoint,
    bucket,
    region,
    accessKeyId,
    secretAccessKey,
    client,
    async listKeys(prefix = '') {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) keys.push(o.Key!);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    async download(key) {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await res.Body!.transformToByteArray());
    },
    freeze() {
      child.kill('SIGSTOP');
    },
    resume() {
      child.kill('SIGCONT');
    },
    stop() {
      stopped ??= (async () => {
        client.destroy();
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGCONT');
          child.stdin?.end();
          child.kill('SIGTERM');
        }
        const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(killer);
        await p.cleanup();
      })();
      return stopped;
    },
  };
}

export interface S3AuthProxy {
  endpoint: string;
  /** How many request-body bytes have been forwarded so far. */
  forwardedBytes(): number;
  /** How many response-body bytes the server sent back through the proxy so far (downloads). */
  returnedBytes(): number;
  /** The most ranged GETs of 1 MiB or more that were answering at the same moment so far. */
  peakConcurrentLargeRangedGets(): number;
  /** From now on every request gets 403 AccessDenied and open connections are cut. */
  deny(): void;
  stop(): Promise<void>;
}

/**
 * An HTTP proxy in front of s3rver that checks SigV4 like AWS: a request signed with another
 * access key id gets 403 InvalidAccessKeyId, one signed with another secret 403
 * SignatureDoesNotMatch. `denyAfterBytes` makes it refuse everything (403 AccessDenied) once
 * that many request-body bytes went through, to break an upload mid-way.
 */
export async function startS3AuthProxy(
  target: Pick<TestS3Server, 'endpoint' | 'accessKeyId' | 'secretAccessKey'>,
  options: { denyAfterBytes?: number } = {},
): Promise<S3AuthProxy> {
  const upstream = new URL(target.endpoint);
  let forwarded = 0;
  let returned = 0;
  let rangedGets = 0;
  let peakRangedGets = 0;
  let denied = false;
  const open = new Set<http.IncomingMessage>();

  const server = http.createServer((req, res) => {
    if (denied) return refuse(res, 'AccessDenied', 'Access Denied', req);
    const auth = checkSignature(req, target.accessKeyId, target.secretAccessKey);
    if (auth) return refuse(res, auth.code, auth.message, req);

    open.add(req);
    const range = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ''));
    if (req.method === 'GET' && range && Number(range[2]) - Number(range[1]) + 1 >= 1024 * 1024) {
      peakRangedGets = Math.max(peakRangedGets, ++rangedGets);
      res.once('close', () => rangedGets--);
    }
    const out = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.on('data', (chunk: Buffer) => (returned += chunk.length));
        upRes.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.on('data', (chunk: Buffer) => {
      if (denied) return;
      forwarded += chunk.length;
      out.write(chunk);
      if (options.denyAfterBytes !== undefined && forwarded >= options.denyAfterBytes) {
        proxy.deny();
      }
    });
    req.on('end', () => out.end());
    req.on('close', () => open.delete(req));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const proxy: S3AuthProxy = {
    endpoint: `http://127.0.0.1:${port}`,
    forwardedBytes: () => forwarded,
    returnedBytes: () => returned,
    peakConcurrentLargeRangedGets: () => peakRangedGets,
    deny() {
      denied = true;
      // Requests in flight are cut: the client sees a reset and retries into the 403s.
      for (const req of open) req.socket.destroy();
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}

function refuse(res: http.ServerResponse, code: string, message: string, req: http.IncomingMessage): void {
  req.resume();
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(403, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Verifies an `Authorization: AWS4-HMAC-SHA256 ...` header; returns the S3 error or null. */
function checkSignature(req: http.IncomingMessage, accessKeyId: string, secret: string): { code: string; message: string } | null {
  const match = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/.exec(
    req.headers.authorization ?? '',
  );
  if (!match) return { code: 'AccessDenied', message: 'Only SigV4 header authentication is accepted' };
  const [, credential, signedHeaders, signature] = match;
  const [keyId, date, region, service] = credential.split('/');
  if (keyId !== accessKeyId) {
    return { code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
  }
  const url = new URL(req.url ?? '/', 'http://x');
  const rawQuery = (req.url ?? '').includes('?') ? (req.url ?? '').slice((req.url ?? '').indexOf('?') + 1) : '';
  const query = rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const [k, v = ''] = pair.split('=');
      return [rfc3986(decodeURIComponent(k)), rfc3986(decodeURIComponent(v.replace(/\+/g, ' ')))];
    })
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headers = signedHeaders
    .split(';')
    .map(
      (h) =>
        `${h}:${String(req.headers[h] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const canonical = [
    req.method,
    url.pathname,
    query,
    headers,
    signedHeaders,
    String(req.headers['x-amz-content-sha256'] ?? 'UNSIGNED-PAYLOAD'),
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', String(req.headers['x-amz-date']), scope, sha256(canonical)].join('\n');
  let key: Buffer = hmac(`AWS4${secret}`, date);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const expected = createHmac('sha256', key).update(toSign).digest('hex');
  if (expected !== signature) {
    return {
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    };
  }
  return null;
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256(data: string): string {
  return createHash('sha256').update(data).digest('hex');
}

function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
