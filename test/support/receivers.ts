/**
 * Real receivers for end-to-end tests: an SMTP server (the smtp-server package) that captures
 * every mail with its headers and decoded body, and an HTTP server that records every request
 * and can be told to fail or to stall. Both listen on 127.0.0.1 on a random port; call stop()
 * in afterEach/afterAll so nothing keeps running after a test.
 */
import * as http from 'node:http';
import * as net from 'node:net';
import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

// ---------------------------------------------------------------- SMTP

export interface CapturedMail {
  /** Envelope sender and recipients (MAIL FROM / RCPT TO). */
  envelopeFrom: string;
  envelopeTo: string[];
  /** Header names lower-cased; repeated headers joined with ", ". Encoded words decoded. */
  headers: Record<string, string>;
  subject: string;
  /** The decoded text of every text/* part, joined by a blank line. */
  text: string;
  /** The message exactly as received. */
  raw: string;
  /** The credentials the client logged in with, when it did. */
  auth?: { username: string; password: string };
}

export interface SmtpReceiver {
  readonly host: string;
  readonly port: number;
  readonly mails: CapturedMail[];
  /** Resolves once `count` mails arrived; rejects after `timeoutMs`. */
  waitForMails(count: number, timeoutMs?: number): Promise<CapturedMail[]>;
  stop(): Promise<void>;
}

export interface SmtpReceiverOptions {
  /** When set, clients must log in with exactly these credentials (AUTH PLAIN/LOGIN, no TLS). */
  username?: string;
  password?: string;
}

/**
 * Starts a plain SMTP server (no STARTTLS offered, as on loopback) that captures every mail.
 */
export async function startSmtpReceiver(options: SmtpReceiverOptions = {}): Promise<SmtpReceiver> {
  const mails: CapturedMail[] = [];
  const waiters = new Set<() => void>();
  const requireAuth = options.username !== undefined;

  const server = new SMTPServer({
    logger: false,
    secure: false,
    disabledCommands: requireAuth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !requireAuth,
    allowInsecureAuth: true,
    onAuth(auth, session, callback) {
      if (auth.username === options.username && auth.password === options.password) {
        callback(null, { user: { username: auth.username, password: auth.password } });
      } else {
        callback(new Error('Invalid username or password'));
      }
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const parsed = parseMime(raw);
        const from = session.envelope.mailFrom;
        mails.push({
          envelopeFrom: from ? from.address : '',
          envelopeTo: session.envelope.rcptTo.map((r) => r.address),
          headers: parsed.headers,
          subject: parsed.headers['subject'] ?? '',
          text: parsed.texts.join('\n\n'),
          raw,
          auth: session.user as CapturedMail['auth'],
        });
        for (const w of [...waiters]) w();
        callback();
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    host: '127.0.0.1',
    port,
    mails,
    waitForMails: (count, timeoutMs = 5000) =>
      waitUntil(
        () => mails.length >= count,
        waiters,
        timeoutMs,
        () => `${count} mail(s), got ${mails.length}`,
      ).then(() => mails),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ---------------------------------------------------------------- HTTP

export interface RecordedRequest {
  method: string;
  path: string;
  /** Header names lower-cased as Node delivers them. */
  headers: http.IncomingHttpHeaders;
  /** The body exactly as received (what an HMAC is computed over). */
  rawBody: string;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  body: unknown;
  /** The status this receiver answered (undefined when it stalled). */
  answeredStatus?: number;
}

export type HttpReceiverMode =
  | { kind: 'ok'; status?: number }
  /** Answer `status` to every request (e.g. 500). */
  | { kind: 'fail'; status: number }
  /** Answer `status` to the first `times` requests, then 200. */
  | { kind: 'fail-then-ok'; status: number; times: number }
  /** Never answer; the connection stays open until the client gives up or stop() is called. */
  | { kind: 'stall' };

export interface HttpReceiver {
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Changes how the following requests are answered. */
  setMode(mode: HttpReceiverMode): void;
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  stop(): Promise<void>;
}

/** Starts an HTTP server that records every request (method, path, headers, raw and JSON body). */
export async function startHttpReceiver(mode: HttpReceiverMode = { kind: 'ok' }): Promise<HttpReceiver> {
  const requests: RecordedRequest[] = [];
  const waiters = new Set<() => void>();
  let current = mode;
  let failuresAnswered = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
      const record: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        rawBody,
        body,
      };
      requests.push(record);
      for (const w of [...waiters]) w();

      let status: number | undefined;
      if (current.kind === 'ok') status = current.status ?? 200;
      else if (current.kind === 'fail') status = current.status;
      else if (current.kind === 'fail-then-ok') {
        status = failuresAnswered < current.times ? current.status : 200;
        if (status !== 200) failuresAnswered++;
      }
      if (status === undefined) return; // stall: keep the socket open
      record.answeredStatus = status;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 400 ? 'ok' : 'receiver told to fail');
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setMode(next) {
      current = next;
      failuresAnswered = 0;
    },
    waitForRequests: (count, timeoutMs = 5000) =>
      waitUntil(
        () => requests.length >= count,
        waiters,
        timeoutMs,
        () => `${count} request(s), got ${requests.length}`,
      ).then(() => requests),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port on which nothing listens (connections are refused). */
export async function deadPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

// ---------------------------------------------------------------- helpers

function waitUntil(done: () => boolean, waiters: Set<() => void>, timeoutMs: number, describe: () => string): Promise<void> {
  if (done()) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const check = () => {
      if (!done()) return;
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${describe()}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      waiters.delete(check);
    };
    waiters.add(check);
  });
}

interface ParsedPart {
  headers: Record<string, string>;
  texts: string[];
}

/** A small MIME reader: enough for what nodemailer writes (single part or nested multipart). */
export function parseMime(raw: string): ParsedPart {
  const split = raw.search(/\r?\n\r?\n/);
  const headText = split === -1 ? raw : raw.slice(0, split);
  const bodyText = split === -1 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers: Record<string, string> = {};
  for (const line of headText.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = decodeEncodedWords(line.slice(colon + 1).trim());
    headers[name] = headers[name] ? `${headers[name]}, ${value}` : value;
  }
  const type = headers['content-type'] ?? 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (/^multipart\//i.test(type) && boundary) {
    const texts: string[] = [];
    const parts = bodyText.split(`--${boundary}`).slice(1);
    for (const part of parts) {
      if (part.startsWith('--')) break;
      texts.push(...parseMime(part.replace(/^\r?\n/, '')).texts);
    }
    return { headers, texts };
  }
  if (!/^text\//i.test(type)) return { headers, texts: [] };
  const charsetDecode = (b: Buffer) => b.toString('utf8');
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  let text: string;
  if (encoding === 'base64') text = charsetDecode(Buffer.from(bodyText.replace(/\s+/g, ''), 'base64'));
  else if (encoding === 'quoted-printable') text = charsetDecode(decodeQuotedPrintable(bodyText));
  else text = bodyText;
  return { headers, texts: [text.replace(/\r\n/g, '\n').replace(/\n+$/, '')] };
}

function decodeQuotedPrintable(text: string): Buffer {
  const soft = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const ch = soft[i];
    if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(ch, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

function decodeEncodedWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, data: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(data, 'base64').toString('utf8')
        : decodeQuotedPrintable(data.replace(/_/g, ' ')).toString('utf8'),
    );
}
