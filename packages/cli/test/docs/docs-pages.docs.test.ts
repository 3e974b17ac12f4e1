// docs/errors.md, docs/architecture.md, docs/dashboard.md, docs/fuzzing.md and
// docs/mqtt-home-assistant.md: their blocks
// are diagrams, reports and commands other tests run (each marked with the reason), so
// this test fails as soon as a block is added that nothing runs (docs/scaling.md's blocks:
// haproxy.docs.test.ts, which runs its load-balancer ones); and every relative link in them
// (and in docs/scaling.md, docs/mqtt.md, README.md and examples/README.md) leads to a file and
// heading that exist. docs/mqtt.md's blocks are run by packages/hub/test/mqtt-bridge.test.ts.
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DocRunner, REPO_ROOT } from './runner.js';

const PAGES = ['docs/errors.md', 'docs/architecture.md', 'docs/dashboard.md', 'docs/fuzzing.md', 'docs/mqtt-home-assistant.md'];

for (const page of PAGES) {
  test(`${page}: every block is run by a test or marked not run with a reason`, async () => {
    const docs = new DocRunner(page);
    try {
      docs.assertAllCovered();
    } finally {
      await docs.close();
    }
  });
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/^\s*(```|~~~)[\s\S]*?^\s*\1/gm, '');
  const found = new Set<string>();
  for (const [, heading] of text.matchAll(/^#{1,6}\s+(.*)$/gm)) found.add(slug(heading ?? ''));
  for (const [, id] of text.matchAll(/<a id="([^"]+)"/g)) found.add(id ?? '');
  return found;
}

for (const page of [...PAGES, 'docs/scaling.md', 'docs/mqtt.md', 'README.md', 'examples/README.md']) {
  test(`${page}: every relative link leads to a file (and heading) that exists`, () => {
    const file = join(REPO_ROOT, page);
    const text = readFileSync(file, 'utf8').replace(/^\s*(```|~~~)[\s\S]*?^\s*\1/gm, '');
    const broken: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (!target || /^[a-z]+:/.test(target)) continue;
      const [path = '', anchor] = target.split('#');
      const linked = path === '' ? file : join(dirname(file), path);
      if (!existsSync(linked)) broken.push(`${target}: no such file`);
      else if (anchor !== undefined && linked.endsWith('.md') && !anchors(linked).has(anchor)) broken.push(`${target}: no such heading`);
    }
    assert.deepEqual(broken, [], `${page} has broken links`);
  });
}
