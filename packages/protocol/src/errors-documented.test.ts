// Every error code a person can meet must be explained in docs/errors.md: each value of
// ErrorCode, and every `PL_ERR_...` string literal in any package's sources (so a code
// written out by hand in another package is caught too). Test files are not scanned for
// literals: they may invent codes on purpose (a peer "from the future" sends a code this
// version does not know), and those never reach a person.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { findRepoRoot, packageSourceFiles } from '../test/repo.js';
import { ErrorCode } from './errors.js';

const ROOT = findRepoRoot(import.meta.url);
const CODE_PATTERN = /PL_ERR_[A-Z0-9_]+/g;

/** Error codes written inside string or template literals of one TypeScript file. */
function codesInLiterals(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) {
      for (const match of node.text.matchAll(CODE_PATTERN)) found.push(match[0].replace(/_+$/, ''));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Codes that docs/errors.md documents: each has its own heading or table row naming it. */
function documentedCodes(): Set<string> {
  const text = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
  return new Set([...text.matchAll(/^(?:#+|\|)\s*`?(PL_ERR_[A-Z0-9_]+)`?/gm)].map((m) => m[1] as string));
}

test('docs/errors.md documents every ErrorCode value', () => {
  const documented = documentedCodes();
  const missing = Object.values(ErrorCode).filter((code) => !documented.has(code));
  assert.deepEqual(missing, [], `add these codes to docs/errors.md: ${missing.join(', ')}`);
});

test('docs/errors.md documents every PL_ERR_ code written in any package', () => {
  const documented = documentedCodes();
  const files = packageSourceFiles(ROOT).filter((file) => !file.endsWith('.test.ts'));
  assert.ok(files.some((f) => f.endsWith(join('protocol', 'src', 'errors.ts'))), 'the scan reaches packages/protocol/src');
  const missing: string[] = [];
  for (const file of files) {
    for (const code of codesInLiterals(file)) {
      if (!documented.has(code)) missing.push(`${code} (${relative(ROOT, file)})`);
    }
  }
  assert.deepEqual(missing, [], `document these codes in docs/errors.md: ${missing.join(', ')}`);
});

test('docs/errors.md lists no code that does not exist', () => {
  const known = new Set<string>(Object.values(ErrorCode));
  const stale = [...documentedCodes()].filter((code) => !known.has(code));
  assert.deepEqual(stale, [], `not in ErrorCode: ${stale.join(', ')}`);
});
