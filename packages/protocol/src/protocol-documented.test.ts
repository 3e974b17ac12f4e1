// docs/protocol.md is the spec other implementations follow: it must describe every action,
// field and result in ACTIONS, and every anchor that code and docs link to must exist.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { findRepoRoot, packageSourceFiles } from '../test/repo.js';
import { ACTION_NAMES, ACTIONS } from './actions.js';
import type { ActionSpec, FieldSpec } from './actions.js';
import { CAPABILITIES } from './version.js';

const ROOT = findRepoRoot(import.meta.url);
const SPEC = readFileSync(join(ROOT, 'docs', 'protocol.md'), 'utf8');
const ANCHORS = new Set([...SPEC.matchAll(/<a id="([a-z0-9_-]+)"><\/a>/g)].map((m) => m[1] as string));

const SECTIONS = ['framing', 'requests', 'types', 'validation', 'messages', 'handshake', 'legacy', 'actions', 'events', 'capabilities', 'connections', 'leases', 'failsafe', 'tls', 'telemetry', 'errors', 'versioning', 'example'];

/** The text of one action's section: from its anchor to the next anchor of any action. */
function actionSection(action: string): string {
  const start = SPEC.indexOf(`<a id="action-${action}"></a>`);
  assert.ok(start >= 0, `docs/protocol.md has no <a id="action-${action}"></a>`);
  const rest = SPEC.slice(start + 1);
  const next = rest.search(/<a id="(action-[a-z_]+|events)"><\/a>/);
  return next === -1 ? rest : rest.slice(0, next);
}

test('docs/protocol.md has the stable section anchors', () => {
  const missing = SECTIONS.filter((id) => !ANCHORS.has(id));
  assert.deepEqual(missing, []);
  const duplicated = [...SPEC.matchAll(/<a id="([a-z0-9_-]+)"><\/a>/g)].map((m) => m[1]).filter((id, i, all) => all.indexOf(id) !== i);
  assert.deepEqual(duplicated, [], 'anchors are unique');
});

test('every action has a section whose field table matches ACTIONS', () => {
  for (const action of ACTION_NAMES) {
    const section = actionSection(action);
    const spec = (ACTIONS as Record<string, ActionSpec>)[action] as ActionSpec;
    for (const [name, field] of Object.entries<FieldSpec>(spec.fields)) {
      const row = section.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
      assert.ok(row, `action ${action}: no table row for field "${name}"`);
      const cells = row.split('|').map((cell) => cell.trim());
      assert.equal(cells[3], field.required ? 'yes' : 'no', `action ${action}, field ${name}: required column`);
      if (field.default !== undefined) assert.equal(cells[4], `\`${JSON.stringify(field.default)}\``, `action ${action}, field ${name}: default column`);
      if (field.type.kind === 'int' || field.type.kind === 'number') {
        const { min, max } = field.type;
        const range = row.replace(/,/g, '');
        assert.ok(range.includes(String(min)) && range.includes(String(max)), `action ${action}, field ${name}: range ${min}-${max}`);
      }
      if (field.type.kind === 'enum') for (const value of field.type.values) assert.ok(row.includes(`"${value}"`), `action ${action}, field ${name}: value "${value}"`);
    }
    for (const result of Object.keys(spec.results)) assert.ok(section.includes(`\`${result}\``), `action ${action}: result "${result}" is not described`);
  }
});

test('every capability is described', () => {
  const start = SPEC.indexOf('<a id="capabilities"></a>');
  const section = SPEC.slice(start, SPEC.indexOf('<a id=', start + 1));
  for (const capability of [...CAPABILITIES, 'tls']) assert.ok(section.includes(`\`${capability}\``), capability);
});

test('every anchor of docs/protocol.md cited in code or docs exists', () => {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(ROOT, 'docs', name));
  const citing = [...packageSourceFiles(ROOT), ...docs, join(ROOT, 'packages', 'protocol', 'README.md')].filter((file) => existsSync(file));
  const broken: string[] = [];
  for (const file of citing) {
    const text = readFileSync(file, 'utf8');
    const links = [...text.matchAll(/protocol\.md#([A-Za-z0-9_-]+)/g)].map((m) => m[1] as string);
    if (file.endsWith('protocol.md')) links.push(...[...text.matchAll(/\]\(#([A-Za-z0-9_-]+)\)/g)].map((m) => m[1] as string));
    for (const anchor of links) if (!ANCHORS.has(anchor)) broken.push(`#${anchor} in ${relative(ROOT, file)}`);
  }
  assert.deepEqual(broken, [], 'broken links to docs/protocol.md');
});
