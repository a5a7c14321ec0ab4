/**
 * Serves the dashboard's static files: `/` (and `/index.html`) and `/assets/*`, from the `dist/` folder
 * that `build.ts` writes next to this module. In the Lambda bundle that folder is copied next to the
 * bundled handler, so the same relative lookup works in both places.
 *
 * The API router calls `serveWeb` for a GET/HEAD it does not handle itself; `null` means "not a dashboard
 * path", and the router goes on to its own 404.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export interface WebRequest {
  /** The request path, e.g. `/`, `/index.html`, `/assets/app-3F2A.js` (a query string is ignored). */
  path: string;
  method?: string;
  /** The `Accept-Encoding` request header; with `gzip` in it, text files are sent compressed. */
  acceptEncoding?: string;
  /** The `If-None-Match` request header: an unchanged file is answered with 304. */
  ifNoneMatch?: string;
}

/** A Lambda-proxy-shaped response: `body` is base64 when `isBase64Encoded`. */
export interface WebResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

/** Where `build.ts` writes the dashboard, relative to this module (also in the Lambda bundle). */
export const WEB_DIST_DIR = fileURLToPath(new URL('./dist/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};
const TEXT = /^(text\/|application\/json|image\/svg)/;

/** The page may load only its own files and talk only to its own origin. */
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; " +
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

interface Asset {
  contentType: string;
  raw: Buffer;
  gzipped: Buffer | null;
  etag: string;
  immutable: boolean;
}

/**
 * One static-file server over a folder. Hashed assets are read once and kept in memory (they never
 * change); `index.html` is read on every request, so a rebuild is served at once; misses are not
 * remembered, so requests for made-up names cannot grow the cache.
 */
export function createWebServer(root: string = WEB_DIST_DIR): (request: WebRequest | string) => WebResponse | null {
  const cache = new Map<string, Asset>();

  function load(relative: string): Asset | null {
    const cached = cache.get(relative);
    if (cached) return cached;
    const file = path.join(root, relative);
    if (!existsSync(file)) return null;
    const raw = readFileSync(file);
    const contentType = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
    const compressible = TEXT.test(contentType) && raw.length > 1024;
    // Names written by build.ts carry a content hash (`app-3F2A5B7C.js`): they never change.
    const immutable = relative.startsWith('assets/') && /-[A-Z0-9]{8,}\./.test(relative);
    const etag = `"${raw.length.toString(16)}-${hash(raw)}"`;
    const asset = { contentType, raw, gzipped: compressible ? gzipSync(raw, { level: 9 }) : null, etag, immutable };
    if (immutable) cache.set(relative, asset);
    return asset;
  }

  return (input) => {
    const request: WebRequest = typeof input === 'string' ? { path: input } : input;
    const method = (request.method ?? 'GET').toUpperCase();
    const pathname = request.path.split('?')[0] ?? '/';
    const relative = route(pathname);
    if (relative === null) return null;
    if (method !== 'GET' && method !== 'HEAD') {
      return plain(405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
    }
    if (!existsSync(path.join(root, 'index.html'))) {
      return plain(503, 'The dashboard has not been built: run `npm run build:web`.');
    }
    const asset = load(relative);
    if (!asset) return plain(404, 'Not Found');

    const headers: Record<string, string> = {
      ...(relative === 'index.html' ? SECURITY_HEADERS : { 'X-Content-Type-Options': 'nosniff' }),
      'Content-Type': asset.contentType,
      'Cache-Control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      ETag: asset.etag,
      Vary: 'Accept-Encoding',
    };
    if (request.ifNoneMatch && request.ifNoneMatch.split(',').some((t) => t.trim() === asset.etag)) {
      return { status: 304, headers, body: '', isBase64Encoded: false };
    }
    const gzip = asset.gzipped !== null && /\bgzip\b/i.test(request.acceptEncoding ?? '');
    const bytes = gzip ? asset.gzipped! : asset.raw;
    if (gzip) headers['Content-Encoding'] = 'gzip';
    headers['Content-Length'] = String(bytes.length);
    const body = method === 'HEAD' ? '' : bytes.toString('base64');
    return { status: 200, headers, body, isBase64Encoded: method !== 'HEAD' };
  };
}

/**
 * The response with more origins the page may talk to (`connect-src`): the document store, where the
 * browser sends an evidence file straight with a presigned POST.
 */
export function allowConnections(response: WebResponse | null, origins: readonly string[]): WebResponse | null {
  const csp = response?.headers['Content-Security-Policy'];
  if (!response || !csp || origins.length === 0) return response;
  return {
    ...response,
    headers: {
      ...response.headers,
      'Content-Security-Policy': csp.replace("connect-src 'self'", `connect-src 'self' ${origins.join(' ')}`),
    },
  };
}

/** Serves the dashboard built into `WEB_DIST_DIR`. */
export const serveWeb = createWebServer();

/** Maps a request path to a file under the root, or null when the path is not the dashboard's. */
function route(pathname: string): string | null {
  if (pathname === '/' || pathname === '/index.html') return 'index.html';
  if (pathname === '/favicon.ico' || pathname === '/favicon.svg') return 'assets/favicon.svg';
  const m = /^\/assets\/([A-Za-z0-9][A-Za-z0-9._-]{0,127})$/.exec(pathname);
  if (!m || m[1]!.includes('..')) return null;
  return `assets/${m[1]}`;
}

function plain(status: number, text: string, extra: Record<string, string> = {}): WebResponse {
  return {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', ...extra },
    body: text,
    isBase64Encoded: false,
  };
}

/** A short content fingerprint (FNV-1a) for ETags; not a security measure. */
function hash(bytes: Buffer): string {
  let h = 0x811c9dc5;
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16);
}
