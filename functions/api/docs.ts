/**
 * `GET /docs`: the OpenAPI document rendered as one self-contained HTML page (no scripts, no external
 * files: it works offline and under a strict Content-Security-Policy). Operations are grouped by tag,
 * each with its parameters, request body and responses; the component schemas follow.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

export function renderDocs(doc: Obj): string {
  const info = isObj(doc.info) ? doc.info : {};
  const paths = isObj(doc.paths) ? doc.paths : {};
  const schemas = isObj(doc.components) && isObj(doc.components.schemas) ? doc.components.schemas : {};
  const groups = new Map<string, string[]>();
  const toc = new Map<string, string[]>();
  for (const [path, item] of Object.entries(paths)) {
    if (!isObj(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isObj(op)) continue;
      const tag = Array.isArray(op.tags) && typeof op.tags[0] === 'string' ? op.tags[0] : 'other';
      const id = anchor(`${method}-${path}`);
      (groups.get(tag) ?? groups.set(tag, []).get(tag)!).push(renderOperation(id, method, path, op));
      (toc.get(tag) ?? toc.set(tag, []).get(tag)!).push(
        `<li><a href="#${id}" title="${esc(path)}"><span class="m ${method}">${method.toUpperCase()}</span> ${esc(shortPath(path))}</a></li>`,
      );
    }
  }
  const nav = [...toc].map(([tag, items]) => `<h3>${esc(tag)}</h3><ul>${items.join('')}</ul>`).join('');
  const body = [...groups]
    .map(([tag, ops]) => `<section><h2 id="${anchor(`tag-${tag}`)}">${esc(tag)}</h2>${ops.join('')}</section>`)
    .join('');
  const schemaList = Object.entries(schemas)
    .map(([name, schema]) => `<div class="schema" id="${anchor(`schema-${name}`)}"><h3>${esc(name)}</h3>${schemaBlock(schema)}</div>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(info.title ?? 'API')} — reference</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2433;background:#f6f7fb}
header{background:#1d3557;color:#fff;padding:1rem 2rem}header h1{margin:0;font-size:1.4rem}header p{margin:.3rem 0 0;opacity:.85}
.wrap{display:grid;grid-template-columns:20rem 1fr;gap:1.5rem;padding:1.5rem 2rem}
nav{position:sticky;top:1rem;align-self:start;max-height:calc(100vh - 2rem);overflow:auto;font-size:.85rem}
nav ul{list-style:none;padding:0;margin:0 0 1rem}nav a{text-decoration:none;color:inherit;display:block;padding:.1rem 0}
nav h3{margin:.6rem 0 .2rem;font-size:.8rem;text-transform:uppercase;color:#5a6478}
.op{background:#fff;border:1px solid #dde1ea;border-radius:8px;margin:0 0 1rem;padding:1rem 1.2rem}
.op h3{margin:0 0 .4rem;font:600 1rem ui-monospace,Menlo,Consolas,monospace}
.m{display:inline-block;min-width:3.6rem;text-align:center;border-radius:4px;color:#fff;font:700 .75rem ui-monospace,monospace;padding:.1rem .3rem}
.get{background:#2a7de1}.post{background:#2e9e5b}.put,.patch{background:#c77d14}.delete{background:#c0392b}.head,.options{background:#777}
table{border-collapse:collapse;width:100%;margin:.4rem 0;font-size:.88rem}th,td{border-bottom:1px solid #eceef3;text-align:left;padding:.3rem .4rem;vertical-align:top}
code,.t{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}.t{color:#6b3fa0}
.req{color:#c0392b;font-size:.75rem}details{margin:.3rem 0}summary{cursor:pointer;color:#1d3557}
.tree{margin:.2rem 0 .2rem 1rem;padding-left:.6rem;border-left:2px solid #eceef3}
.schema{background:#fff;border:1px solid #dde1ea;border-radius:8px;margin:0 0 .8rem;padding:.6rem 1rem}.schema h3{margin:.2rem 0;font-size:1rem}
h2{margin:1.2rem 0 .6rem}.desc{color:#3d4658}
</style></head><body>
<header><h1>${esc(info.title ?? 'API')} <small>${esc(info.version ?? '')}</small></h1>${info.description ? `<p>${esc(info.description)}</p>` : ''}
<p><a style="color:#fff" href="/openapi.json">openapi.json</a> (OpenAPI ${esc(doc.openapi ?? '')})</p></header>
<div class="wrap"><nav>${nav}<h3>schemas</h3><ul>${Object.keys(schemas)
    .map((n) => `<li><a href="#${anchor(`schema-${n}`)}">${esc(n)}</a></li>`)
    .join('')}</ul></nav>
<main>${body}<section><h2>Schemas</h2>${schemaList}</section></main></div></body></html>`;
}

function renderOperation(id: string, method: string, path: string, op: Obj): string {
  const params = Array.isArray(op.parameters) ? op.parameters.filter(isObj) : [];
  const paramRows = params
    .map(
      (p) =>
        `<tr><td><code>${esc(p.name)}</code>${p.required ? ' <span class="req">required</span>' : ''}</td><td>${esc(p.in)}</td><td>${typeLabel(isObj(p.schema) ? p.schema : {})}</td><td>${esc(
          p.description ?? (isObj(p.schema) ? (p.schema.description ?? '') : ''),
        )}</td></tr>`,
    )
    .join('');
  const requestBody = isObj(op.requestBody) ? op.requestBody : null;
  const bodies = requestBody && isObj(requestBody.content) ? Object.entries(requestBody.content) : [];
  const responses = isObj(op.responses) ? Object.entries(op.responses) : [];
  return `<article class="op" id="${id}">
<h3><span class="m ${method}">${method.toUpperCase()}</span> ${esc(path)}</h3>
${op.summary ? `<div><strong>${esc(op.summary)}</strong></div>` : ''}${op.description ? `<p class="desc">${esc(op.description)}</p>` : ''}
${paramRows ? `<table><thead><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr></thead><tbody>${paramRows}</tbody></table>` : ''}
${bodies
  .map(
    ([type, media]) =>
      `<details open><summary>Request body <code>${esc(type)}</code>${requestBody?.required ? ' (required)' : ''}</summary>${isObj(media) && media.schema !== undefined ? schemaBlock(media.schema) : ''}</details>`,
  )
  .join('')}
<table><thead><tr><th>status</th><th>response</th></tr></thead><tbody>${responses
    .map(([status, res]) => {
      const r = isObj(res) ? res : {};
      const content = isObj(r.content) ? Object.entries(r.content) : [];
      return `<tr><td><code>${esc(status)}</code></td><td>${esc(r.description ?? '')}${content
        .map(
          ([type, media]) =>
            `<details><summary><code>${esc(type)}</code></summary>${isObj(media) && media.schema !== undefined ? schemaBlock(media.schema) : ''}</details>`,
        )
        .join('')}</td></tr>`;
    })
    .join('')}</tbody></table></article>`;
}

/** Long paths in the navigation keep their last two segments: `…/{milestone}/submit`. */
function shortPath(path: string): string {
  if (path.length <= 34) return path;
  return `…/${path.split('/').slice(-2).join('/')}`;
}

/** The constant that tells the variants of a union apart (`kind: "connection"`), if any. */
function discriminator(schema: Obj): string | null {
  if (!isObj(schema.properties)) return null;
  for (const [name, prop] of Object.entries(schema.properties)) {
    if (isObj(prop) && Array.isArray(prop.enum) && prop.enum.length === 1) return `${name}: ${JSON.stringify(prop.enum[0])}`;
    if (isObj(prop) && prop.const !== undefined) return `${name}: ${JSON.stringify(prop.const)}`;
  }
  return null;
}

function anchor(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]+/g, '-');
}

function refName(ref: string): string {
  return ref.split('/').pop() ?? ref;
}

function typeLabel(schema: Obj): string {
  if (typeof schema.$ref === 'string') {
    const name = refName(schema.$ref);
    return `<a class="t" href="#${anchor(`schema-${name}`)}">${esc(name)}</a>`;
  }
  if (Array.isArray(schema.enum)) return `<span class="t">${schema.enum.map((v) => esc(JSON.stringify(v))).join(' | ')}</span>`;
  if (schema.const !== undefined) return `<span class="t">${esc(JSON.stringify(schema.const))}</span>`;
  const variants = (Array.isArray(schema.oneOf) ? schema.oneOf : Array.isArray(schema.anyOf) ? schema.anyOf : null)?.filter(isObj);
  if (variants)
    return variants.map((v) => (discriminator(v) ? `<span class="t">{${esc(discriminator(v))}}</span>` : typeLabel(v))).join(' | ');
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : typeof schema.type === 'string' ? schema.type : 'any';
  if (type === 'array' && isObj(schema.items)) return `${typeLabel(schema.items)}[]`;
  const constraints = [
    'format',
    'pattern',
    'minimum',
    'maximum',
    'exclusiveMinimum',
    'minLength',
    'maxLength',
    'minItems',
    'maxItems',
    'default',
  ]
    .filter((k) => schema[k] !== undefined)
    .map((k) => `${k}: ${JSON.stringify(schema[k])}`);
  return `<span class="t">${esc(type)}</span>${constraints.length ? ` <small>(${esc(constraints.join(', '))})</small>` : ''}`;
}

function schemaBlock(schema: Json, depth = 0): string {
  if (!isObj(schema)) return '';
  if (depth > 6) return typeLabel(schema);
  const variants = (Array.isArray(schema.oneOf) ? schema.oneOf : Array.isArray(schema.anyOf) ? schema.anyOf : null)?.filter(isObj);
  if (variants && variants.some((v) => isObj(v.properties))) {
    return `<div class="tree">one of:${variants.map((v, i) => `<details><summary>${esc(discriminator(v) ?? `variant ${i + 1}`)}</summary>${schemaBlock(v, depth + 1)}</details>`).join('')}</div>`;
  }
  if (schema.type === 'array' && isObj(schema.items) && isObj(schema.items.properties)) {
    return `<div class="tree">array of:${schemaBlock(schema.items, depth + 1)}</div>`;
  }
  if (!isObj(schema.properties)) {
    return `<div>${typeLabel(schema)}${isObj(schema.additionalProperties) ? ` — map of ${typeLabel(schema.additionalProperties)}` : ''}</div>`;
  }
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  const rows = Object.entries(schema.properties)
    .map(([name, prop]) => {
      const p = isObj(prop) ? prop : {};
      const nested =
        isObj(p.properties) ||
        (p.type === 'array' && isObj(p.items) && isObj(p.items.properties)) ||
        (Array.isArray(p.oneOf) && p.oneOf.some((v) => isObj(v) && isObj(v.properties)));
      return `<tr><td><code>${esc(name)}</code>${required.has(name) ? ' <span class="req">required</span>' : ''}</td><td>${typeLabel(p)}${
        nested ? `<details><summary>fields</summary>${schemaBlock(p, depth + 1)}</details>` : ''
      }</td><td>${esc(p.description ?? '')}</td></tr>`;
    })
    .join('');
  const closed = schema.additionalProperties === false ? '<small>No other fields are accepted.</small>' : '';
  return `<table><tbody>${rows}</tbody></table>${closed}`;
}
