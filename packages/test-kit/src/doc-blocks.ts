import { readFileSync } from 'node:fs';

/** The comment that marks the next code block as not run by any test, with the reason. */
const NOT_RUN = /^<!--\s*not run as written:\s*(.*?)\s*-->$/;
/** Any other HTML comment right above a block: a directive for the test that runs it. */
const DIRECTIVE = /^<!--\s*(.*?)\s*-->$/;
const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)\s*(.*)$/;

/** One fenced code block of a Markdown file. */
export interface DocBlock {
  /** The file as given to {@link readDocBlocks}. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The info string's first word (`sh`, `ts`, `json`), or `''` for a bare fence. */
  readonly lang: string;
  /** The block's text, its common indentation removed, ending without a newline. */
  readonly text: string;
  /** Why the block is not run, when `<!-- not run as written: REASON -->` stands right above it. */
  readonly notRun?: string;
  /** The text of another HTML comment right above the block (a directive for its test). */
  readonly directive?: string;
}

/** Every fenced code block of a Markdown file, in order, including blocks indented in lists. */
export function readDocBlocks(file: string): DocBlock[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, indent = '', fence = '', lang = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !isClosing(lines[j]!, fence)) body.push(lines[j++]!);
    const above = commentAbove(lines, i);
    const notRun = above === undefined ? undefined : NOT_RUN.exec(above)?.[1];
    const directive = above !== undefined && notRun === undefined ? DIRECTIVE.exec(above)?.[1] : undefined;
    blocks.push({
      file,
      line: i + 1,
      lang,
      text: body.map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l.trimStart())).join('\n'),
      ...(notRun !== undefined ? { notRun } : {}),
      ...(directive !== undefined ? { directive } : {}),
    });
    i = j;
  }
  return blocks;
}

/** `where(block)`: `README.md:42`, for test names and failure messages. */
export function where(block: DocBlock): string {
  return `${block.file}:${block.line}`;
}

function isClosing(line: string, fence: string): boolean {
  const t = line.trim();
  return t.startsWith(fence) && t.replace(/[`~]/g, '') === '';
}

/** The HTML comment on the last non-blank line above line `i`, if that line is one. */
function commentAbove(lines: readonly string[], i: number): string | undefined {
  let k = i - 1;
  while (k >= 0 && lines[k]!.trim() === '') k--;
  const t = k >= 0 ? lines[k]!.trim() : '';
  return t.startsWith('<!--') && t.endsWith('-->') ? t : undefined;
}
