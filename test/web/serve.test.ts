/**
 * The dashboard's build and static serving: what `serveWeb` answers for the page, its hashed assets,
 * compressed and conditional requests, and the paths it leaves to the API.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWeb, type BuildResult } from '../../functions/web/build.js';
import { createWebServer, type WebResponse } from '../../functions/web/serve.js';

let out: string;
let built: BuildResult;
let serve: ReturnType<typeof createWebServer>;

beforeAll(async () => {
  out = mkdtempSync(path.join(tmpdir(), 'cos-web-'));
  built = await buildWeb({ outDir: out });
  serve = createWebServer(out);
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

const bytes = (r: WebResponse) => {
  const raw = r.isBase64Encoded ? Buffer.from(r.body, 'base64') : Buffer.from(r.body);
  return r.headers['Content-Encoding'] === 'gzip' ? gunzipSync(raw) : raw;
};

describe('buildWeb', () => {
  it('writes index.html that loads the hashed script and stylesheet by relative paths', () => {
    const html = readFileSync(path.join(out, 'index.html'), 'utf8');
    const script = built.files.find((f) => /^assets\/app-[A-Z0-9]+\.js$/.test(f));
    const style = built.files.find((f) => /^assets\/app-[A-Z0-9]+\.css$/.test(f));
    expect(script).toBeDefined();
    expect(style).toBeDefined();
    expect(html).toContain(`<script type="module" src="${script}"></script>`);
    expect(html).toContain(`<link rel="stylesheet" href="${style}">`);
    expect(html).toContain('<html lang="ru">');
  });

  it('bundles English as zod’s only message locale', () => {
    const script = built.files.find((f) => /^assets\/app-[A-Z0-9]+\.js$/.test(f))!;
    const js = readFileSync(path.join(out, script), 'utf8');
    // Phrases of zod's German and Japanese locales; the English one must still be there.
    expect(js).not.toContain('Ungültige Eingabe');
    expect(js).not.toContain('無効な入力');
    expect(js).toContain('Invalid input');
  });
});

describe('serveWeb', () => {
  it('serves the page at / with the security headers and no caching', () => {
    const r = serve('/')!;
    expect(r.status).toBe(200);
    expect(r.headers['Content-Type']).toBe('text/html; charset=utf-8');
    expect(r.headers['Cache-Control']).toBe('no-cache');
    expect(r.headers['Content-Security-Policy']).toContain("script-src 'self'");
    expect(bytes(r).toString('utf8')).toContain('<div id="app">');
    expect(serve('/index.html')!.body).toBe(r.body);
  });

  it('serves hashed assets as immutable, gzipped when the client accepts it', () => {
    const script = built.files.find((f) => /^assets\/app-[A-Z0-9]+\.js$/.test(f))!;
    const plain = serve({ path: `/${script}` })!;
    const gz = serve({ path: `/${script}`, acceptEncoding: 'gzip, deflate, br' })!;
    expect(plain.status).toBe(200);
    expect(plain.headers['Content-Type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['Cache-Control']).toContain('immutable');
    expect(gz.headers['Content-Encoding']).toBe('gzip');
    expect(Number(gz.headers['Content-Length'])).toBeLessThan(Number(plain.headers['Content-Length']));
    expect(bytes(gz).equals(bytes(plain))).toBe(true);
  });

  it('answers 304 to a matching If-None-Match and nothing to HEAD', () => {
    const first = serve('/')!;
    const again = serve({ path: '/', ifNoneMatch: first.headers.ETag! })!;
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
    const head = serve({ path: '/', method: 'HEAD' })!;
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('leaves API and unknown paths to the router, and refuses writes', () => {
    expect(serve('/api/me')).toBeNull();
    expect(serve('/openapi.json')).toBeNull();
    expect(serve('/assets/../index.html')).toBeNull();
    expect(serve('/assets/missing-ABCDEFGH.js')!.status).toBe(404);
    expect(serve({ path: '/', method: 'POST' })!.status).toBe(405);
  });

  it('serves a rebuilt page at once and does not remember misses', () => {
    const index = path.join(out, 'index.html');
    const html = readFileSync(index, 'utf8');
    serve('/');
    writeFileSync(index, html.replace('</body>', '<!-- rebuilt --></body>'));
    expect(bytes(serve('/')!).toString('utf8')).toContain('<!-- rebuilt -->');
    writeFileSync(index, html);

    expect(serve('/assets/late-ABCDEFGH.js')!.status).toBe(404);
    writeFileSync(path.join(out, 'assets/late-ABCDEFGH.js'), 'export {};');
    expect(serve('/assets/late-ABCDEFGH.js')!.status).toBe(200);
  });

  it('says so when the dashboard has not been built', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'cos-web-empty-'));
    try {
      const r = createWebServer(empty)('/')!;
      expect(r.status).toBe(503);
      expect(r.body).toContain('npm run build:web');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
