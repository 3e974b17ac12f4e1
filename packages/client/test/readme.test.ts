/**
 * This package's README runs as written: every TypeScript block marked "run" is
 * type-checked with the project's strict settings against the built SDK, then run as a
 * program against a simulated device (its address put in place of the example's); every
 * other block must say why it is not run.
 */
import { test } from 'node:test';
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import ts from 'typescript';
import { startDevice, SimulatedBackend } from '@picolink/device';
import { readDocBlocks, where } from '@picolink/test-kit/doc-blocks';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const REPO_NODE_MODULES = fileURLToPath(new URL('../../../../node_modules', import.meta.url));
const RUN = "run: the device URL is replaced by a simulated device's";
const EXAMPLE_URL = 'tcp://192.168.1.50:12345';
const RUN_TIMEOUT_MS = 20_000;

const blocks = readDocBlocks(README);
const runnable = blocks.filter((block) => block.directive === RUN);

test('every README block is run by this test or says why it is not', () => {
  const unaccounted = blocks.filter((block) => block.notRun === undefined && block.directive !== RUN).map(where);
  assert.deepEqual(unaccounted, [], `add <!-- ${RUN} --> (TypeScript against ${EXAMPLE_URL}) or <!-- not run as written: REASON -->`);
  assert.ok(runnable.length >= 2, 'the usage and reconnect examples are run');
  for (const block of runnable) assert.ok(block.text.includes(EXAMPLE_URL), `${where(block)} connects to ${EXAMPLE_URL}`);
});

test('the README\'s TypeScript examples compile (strict) and run against a simulated device', async (t) => {
  const device = await startDevice({ host: '127.0.0.1', port: 0, backend: new SimulatedBackend() });
  const dir = await mkdtemp(join(tmpdir(), 'picolink-client-readme-'));
  t.after(async () => {
    await device.close();
    await rm(dir, { recursive: true, force: true });
  });
  // The examples import '@picolink/client' as a user's program would: through node_modules.
  await symlink(REPO_NODE_MODULES, join(dir, 'node_modules'), 'dir');
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
  const files = await Promise.all(
    runnable.map(async (block, i) => {
      const file = join(dir, `block-${i}.ts`);
      await writeFile(file, block.text.replaceAll(EXAMPLE_URL, device.url) + '\n');
      return { block, file };
    }),
  );

  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
    typeRoots: [join(dir, 'node_modules', '@types')],
  };
  const program = ts.createProgram(files.map((f) => f.file), options);
  const problems = ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    const block = files.find((f) => f.file === d.file?.fileName)?.block;
    return `${block ? where(block) : (d.file?.fileName ?? '?')}${at ? ` (block line ${at.line + 1})` : ''}: ${text}`;
  });
  assert.deepEqual(problems, [], 'the examples type-check');

  for (const { block, file } of files) {
    const source = ts.transpileModule(block.text.replaceAll(EXAMPLE_URL, device.url), {
      compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    }).outputText;
    const program = file.replace(/\.ts$/, '.mjs');
    await writeFile(program, source);
    const { stdout } = await promisify(execFile)(process.execPath, [program], { cwd: dir, timeout: RUN_TIMEOUT_MS });
    assert.match(stdout, /\d+(\.\d+)? ms/, `${where(block)} printed a ping time`);
    if (block.text.includes('memFree')) assert.match(stdout, /^\d+ bytes free$/m, `${where(block)} printed the free memory`);
  }
});
