/**
 * A small TCP proxy for fault tests: it forwards 127.0.0.1 traffic to a target (s3rver) byte for
 * byte, reads just enough HTTP/1.1 framing (request line, headers, Content-Length) to tell one
 * request from the next on a keep-alive connection, and, when told to, breaks one request:
 *
 *   - `reset`:  forwards `afterBytes` bytes of the request (headers included), then resets the
 *               client's TCP connection (RST), as a dropped link or a crashed load balancer does;
 *   - `status`: answers the request itself with an HTTP error (e.g. 500 InternalError, S3's XML
 *               body) without forwarding it, then closes the connection;
 *   - `stall`:  swallows the request and never answers; the socket stays open until the client
 *               gives up or the proxy stops.
 *
 * Each fault is armed for the next `times` requests that match (default: one), so a client
 * that retries meets a healthy proxy afterwards.
 */
import * as net from 'node:net';

export interface ProxiedRequest {
  method: string;
  /** The request target as sent, e.g. `/backups/app/2026-01-01.zip?partNumber=2&uploadId=…`. */
  path: string;
}

export type FaultKind = { kind: 'reset'; afterBytes: number } | { kind: 'status'; status: number; code?: string } | { kind: 'stall' };

export interface FaultRule {
  fault: FaultKind;
  /** Which requests the fault applies to; default: every request. */
  match?: (req: ProxiedRequest) => boolean;
  /** How many matching requests to break; default 1. */
  times?: number;
}

export interface ArmedFault {
  /** The requests this fault actually broke (method and path), in order. */
  readonly hits: ProxiedRequest[];
}

export interface FaultyProxy {
  endpoint: string;
  /** Every request seen so far (method and path), in arrival order. */
  readonly requests: ProxiedRequest[];
  /** Arms a fault for the next matching request(s). */
  arm(rule: FaultRule): ArmedFault;
  /** Removes every armed fault (the proxy forwards everything again). */
  disarm(): void;
  /**
   * Called with each request as its headers arrive, before anything of it is forwarded: to act
   * at an exact moment of the client's work (freeze the server as the first part starts).
   */
  onRequest?: (req: ProxiedRequest) => void;
  stop(): Promise<void>;
}

/** A part of a multipart upload: `PUT …?partNumber=N&uploadId=…`. */
export const isPartUpload = (r: ProxiedRequest): boolean => r.method === 'PUT' && /[?&]partNumber=\d+/.test(r.path);

/** Any request that sends an object's bytes: a single PUT or a part of a multipart upload. */
export const isUpload = (r: ProxiedRequest): boolean => r.method === 'PUT';

interface Armed {
  rule: FaultRule;
  left: number;
  hits: ProxiedRequest[];
}

const HEADER_END = Buffer.from('\r\n\r\n');

export async function startFaultyProxy(target: { host?: string; port: number } | string): Promise<FaultyProxy> {
  const to = typeof target === 'string' ? new URL(target) : undefined;
  const targetHost = to ? to.hostname : ((target as { host?: string }).host ?? '127.0.0.1');
  const targetPort = to ? Number(to.port) : (target as { port: number }).port;
  const requests: ProxiedRequest[] = [];
  let armed: Armed[] = [];
  const sockets = new Set<net.Socket>();
  let proxy: FaultyProxy | undefined;

  /** The first armed rule that matches `req`, consumed. */
  const take = (req: ProxiedRequest): FaultKind | undefined => {
    const found = armed.find((a) => a.left > 0 && (a.rule.match ?? (() => true))(req));
    if (!found) return undefined;
    found.left--;
    found.hits.push(req);
    return found.rule.fault;
  };

  const server = net.createServer((client) => {
    sockets.add(client);
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(upstream);
    client.on('close', () => {
      sockets.delete(client);
      upstream.destroy();
    });
    upstream.on('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    upstream.on('data', (d: Buffer) => {
      if (!client.destroyed) client.write(d);
    });

    // Framing state of the request being received on this connection.
    let head = Buffer.alloc(0); // collecting a request's header block
    let bodyLeft = 0; // body bytes of the current request still to come
    let opaque = false; // chunked body: framing lost, forward the rest untouched
    let fault: FaultKind | undefined; // the fault applied to the current request
    let sentOfRequest = 0; // bytes of the current request forwarded so far
    let swallowing = false; // current request is being dropped (stall/status)

    const forward = (chunk: Buffer): boolean => {
      // Returns false when the connection was reset.
      if (fault?.kind === 'reset') {
        const room = fault.afterBytes - sentOfRequest;
        if (chunk.length >= room) {
          if (room > 0) upstream.write(chunk.subarray(0, room));
          sentOfRequest += Math.max(room, 0);
          client.resetAndDestroy();
          upstream.destroy();
          return false;
        }
      }
      if (!swallowing) upstream.write(chunk);
      sentOfRequest += chunk.length;
      return true;
    };

    const onHeaders = (block: Buffer): boolean => {
      const text = block.toString('latin1');
      const [line] = text.split('\r\n');
      const [method = '', path = ''] = line.split(' ');
      const req = { method, path };
      requests.push(req);
      proxy?.onRequest?.(req);
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(text);
      bodyLeft = length ? Number(length[1]) : 0;
      opaque = /\r\ntransfer-encoding:\s*chunked/i.test(text);
      fault = take(req);
      sentOfRequest = 0;
      swallowing = fault?.kind === 'stall' || fault?.kind === 'status';
      if (fault?.kind === 'status') {
        const code = fault.code ?? 'InternalError';
        const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>Injected by the fault proxy</Message><RequestId>fault</RequestId></Error>`;
        client.end(
          `HTTP/1.1 ${fault.status} Injected\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${method === 'HEAD' ? '' : body}`,
        );
        upstream.destroy();
        return false;
      }
      return forward(block);
    };

    client.on('data', (data: Buffer) => {
      let chunk = data;
      while (chunk.length > 0) {
        if (opaque) {
          forward(chunk);
          return;
        }
        if (bodyLeft > 0) {
          const n = Math.min(bodyLeft, chunk.length);
          if (!forward(chunk.subarray(0, n))) return;
          bodyLeft -= n;
          chunk = chunk.subarray(n);
          continue;
        }
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf(HEADER_END);
        if (end === -1) return;
        const block = head.subarray(0, end + HEADER_END.length);
        chunk = head.subarray(end + HEADER_END.length);
        head = Buffer.alloc(0);
        if (!onHeaders(block)) return;
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  proxy = {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    arm(rule) {
      const a: Armed = { rule, left: rule.times ?? 1, hits: [] };
      armed.push(a);
      return { hits: a.hits };
    },
    disarm() {
      armed = [];
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
