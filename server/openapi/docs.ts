/**
 * `/docs`: the OpenAPI document rendered as plain HTML on the server, so the page
 * works offline and behind firewalls (no CDN, no script): one section per
 * operation with its parameters, body fields and answers.
 */
import type { OpenApiDocument } from "./spec.ts";

type Json = Record<string, unknown>;

/** The HTML page for `doc`. */
export function docsPage(doc: OpenApiDocument): string {
  const info = doc.info as Json;
  const schemas = (doc.components as Json).schemas as Record<string, Json>;
  const sections: string[] = [];
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const [method, raw] of Object.entries(methods)) {
      const op = raw as Json;
      const params = (op.parameters as Json[]).map((p) =>
        row(`${p.name}`, `${p.in}`, typeOf(p.schema as Json), `${p.description ?? ""}`)
      );
      const body = op.requestBody as Json | undefined;
      const bodyRef = body && refName(Object.values(body.content as Json)[0] as Json);
      const fields = bodyRef ? fieldRows(schemas[bodyRef]!) : [];
      const answers = Object.entries(op.responses as Record<string, Json>).map(([status, r]) => {
        const name = refName(Object.values((r.content ?? {}) as Json)[0] as Json | undefined);
        const link = name ? ` — <a href="#schema-${name}">${name}</a>` : "";
        return `<li><code>${status}</code> ${esc(`${r.description}`)}${link}</li>`;
      });
      sections.push(`<section id="${esc(`${op.operationId}`)}">
<h2><span class="m">${method.toUpperCase()}</span> <code>${esc(path)}</code></h2>
<p>${esc(`${op.summary}`)}</p>
${params.length ? table("Parameters", ["name", "in", "type", "about"], params) : ""}
${
        fields.length
          ? table(`Body (${bodyRef}; JSON or form)`, ["field", "required", "type", "about"], fields)
          : ""
      }
<h3>Answers</h3><ul>${answers.join("")}</ul></section>`);
    }
  }
  const models = Object.entries(schemas).map(([name, schema]) =>
    `<section id="schema-${name}"><h2>${name}</h2>${
      table("", ["field", "required", "type", "about"], fieldRows(schema))
    }</section>`
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`${info.title}`)} API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
code{background:#f3f3f3;padding:0 .2em}.m{font-family:monospace;background:#234;color:#fff;padding:0 .4em;border-radius:3px}
section{border-top:1px solid #ddd;margin-top:1.5rem}</style></head><body>
<h1>${esc(`${info.title}`)} API <small>${esc(`${info.version}`)}</small></h1>
<p>${esc(`${info.description}`)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a>. Auth: <code>Authorization: Bearer &lt;key&gt;</code> when the server has keys.</p>
${sections.join("\n")}
<h1>Schemas</h1>${models.join("\n")}
</body></html>`;
}

function fieldRows(schema: Json): string[] {
  const props = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(props).map(([name, s]) =>
    row(name, required.has(name) ? "yes" : "no", typeOf(s), `${s.description ?? ""}`)
  );
}

function typeOf(s: Json): string {
  if (s.anyOf) return (s.anyOf as Json[]).map(typeOf).join(" | ");
  if (s.enum) return (s.enum as unknown[]).map((v) => JSON.stringify(v)).join(" | ");
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.type === "array") return `${typeOf(s.items as Json)}[]`;
  const pattern = s.pattern ? ` /${s.pattern}/` : "";
  return `${Array.isArray(s.type) ? s.type.join(" | ") : s.type ?? "any"}${pattern}`;
}

function refName(media: Json | undefined): string | undefined {
  const ref = (media?.schema as Json | undefined)?.$ref;
  return typeof ref === "string" ? ref.split("/").at(-1) : undefined;
}

function table(caption: string, head: string[], rows: string[]): string {
  const cap = caption ? `<h3>${esc(caption)}</h3>` : "";
  return `${cap}<table><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr>${
    rows.join("")
  }</table>`;
}

function row(...cells: string[]): string {
  return `<tr>${cells.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`;
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
