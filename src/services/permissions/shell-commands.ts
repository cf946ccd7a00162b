import { createRequire } from 'node:module';
import type { Node, Parser } from 'web-tree-sitter';
import { executableName, isShell, isWrapper } from '../../contract/risk.js';

/**
 * What a command would run, as far as the bridge can see before it runs: every command word of a
 * shell line (each part of a list or pipeline, inside `$(…)`, backquotes, `<(…)`, functions and
 * conditions), the commands wrappers run (`env rm …`, `sudo`, `xargs`, `find -exec`), and the
 * lines handed to a shell (`sh -c '…'`, `eval`). The line is parsed with tree-sitter's bash
 * grammar (the real parser, compiled to WebAssembly), never split on characters.
 */
export interface CommandAnalysis {
  /** Every command name found, as the shell would spell it after quote removal. */
  commands: string[];
  /** False when the line (or a line handed to a shell) does not parse: it may hide anything. */
  parsed: boolean;
  /** A command name only known at run time (`$cmd`, `$(…)` as the name, a glob): the policy cannot see it. */
  dynamic: boolean;
  /** The line redirects output to a file (`>`, `>>`, `&>`). */
  writesFiles: boolean;
}

/** Lines longer than this are not analysed: they count as unparseable. */
const MAX_ANALYSED_LENGTH = 256 * 1024;
/** `sh -c "sh -c '…'"`: how deep nested shell lines are followed before giving up (unparseable). */
const MAX_DEPTH = 6;

let parserReady: Promise<Parser> | null = null;

function parser(): Promise<Parser> {
  parserReady ??= (async () => {
    // Imported here, not at the top: web-tree-sitter is an ES module only, and the CLI bundle is
    // CommonJS (scripts/bundle-cli.mjs), where only a dynamic import() can load one on every Node 20.
    const { Language, Parser } = await import('web-tree-sitter');
    await Parser.init();
    const require = createRequire(import.meta.url);
    const bash = await Language.load(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm'));
    const created = new Parser();
    created.setLanguage(bash);
    return created;
  })();
  return parserReady;
}

/** Analyses a shell command line (`shell: true`). */
export async function analyzeShellLine(line: string): Promise<CommandAnalysis> {
  const p = await parser();
  const result = empty();
  analyzeLine(p, line, result, 0);
  return result;
}

/** Analyses an argv (`shell: false`): the executable, and what it runs if it is a wrapper or a shell. */
export async function analyzeArgv(command: string, args: readonly string[]): Promise<CommandAnalysis> {
  const p = await parser();
  const result = empty();
  analyzeCommand(p, command, args.map((arg) => ({ value: arg })), result, 0);
  return result;
}

const empty = (): CommandAnalysis => ({ commands: [], parsed: true, dynamic: false, writesFiles: false });

/** A word as the shell would see it: its value when static, else `undefined` (an expansion). */
interface WordValue {
  value: string | undefined;
}

function analyzeLine(p: Parser, line: string, result: CommandAnalysis, depth: number): void {
  if (depth > MAX_DEPTH || line.length > MAX_ANALYSED_LENGTH || line.includes('\0')) {
    result.parsed = false;
    return;
  }
  const tree = p.parse(line);
  if (!tree) {
    result.parsed = false;
    return;
  }
  try {
    if (tree.rootNode.hasError) result.parsed = false;
    walk(tree.rootNode, (node) => {
      if (node.type === 'command') {
        const nameNode = node.childForFieldName('name');
        if (!nameNode) return; // a bare assignment (`x=1`): its value is walked on its own
        const name = staticValue(nameNode.namedChild(0) ?? nameNode);
        if (name === undefined) {
          result.dynamic = true;
          return;
        }
        const args = node.childrenForFieldName('argument').filter((child): child is Node => child !== null).map((child) => ({ value: staticValue(child) }));
        analyzeCommand(p, name, args, result, depth);
      } else if (node.type === 'file_redirect') {
        const op = node.child(0)?.type ?? '';
        if (op.includes('>')) result.writesFiles = true;
      } else if (node.type === 'ERROR' || node.isMissing) {
        result.parsed = false;
      }
    });
  } finally {
    tree.delete();
  }
}

function analyzeCommand(p: Parser, name: string, args: readonly WordValue[], result: CommandAnalysis, depth: number): void {
  result.commands.push(name);
  const word = executableName(name);
  if (isWrapper(name)) {
    // Any argument may be the command it runs (after its options and env's VAR=value): check them all.
    for (const arg of args) {
      if (arg.value === undefined) result.dynamic = true;
      else if (arg.value !== '' && !arg.value.startsWith('-') && !arg.value.includes('=')) result.commands.push(arg.value);
    }
  }
  if (isShell(name) || word === 'eval' || word === 'source' || word === '.') {
    const code = shellCode(word, args);
    if (code === null) return;
    if (code === undefined) result.dynamic = true;
    else analyzeLine(p, code, result, depth + 1);
  }
}

/**
 * The shell code a shell or `eval` is handed: the argument after `-c` (also `-ec`, `-lc`), or
 * all of `eval`'s arguments. Null when there is none, undefined when it is only known at run time.
 */
function shellCode(word: string, args: readonly WordValue[]): string | null | undefined {
  if (word === 'eval') {
    if (args.some((arg) => arg.value === undefined)) return undefined;
    return args.length === 0 ? null : args.map((arg) => arg.value).join(' ');
  }
  if (word === 'source' || word === '.') return null; // runs a file: the file is the command
  const index = args.findIndex((arg) => arg.value !== undefined && /^-[a-zA-Z]*c[a-zA-Z]*$/.test(arg.value));
  if (index < 0) return null;
  const code = args[index + 1];
  if (!code) return null;
  return code.value;
}

/** Depth-first, every node. */
function walk(node: Node, visit: (node: Node) => void): void {
  visit(node);
  for (const child of node.children) if (child) walk(child, visit);
}

const GLOB = /[*?[]/;

/** The value of a word after quote removal, or undefined when it holds an expansion or a glob. */
function staticValue(node: Node): string | undefined {
  switch (node.type) {
    case 'word': {
      if (GLOB.test(node.text) || node.text.startsWith('~')) return node.text.startsWith('~') && !GLOB.test(node.text) ? node.text : undefined;
      return node.text.replace(/\\(.)/gs, '$1');
    }
    case 'number':
      return node.text;
    case 'raw_string':
      return node.text.slice(1, -1);
    case 'string': {
      let value = '';
      for (const child of node.namedChildren) {
        if (!child) continue;
        if (child.type !== 'string_content') return undefined;
        value += child.text.replace(/\\([$`"\\\n])/g, '$1');
      }
      return value;
    }
    case 'concatenation': {
      let value = '';
      for (const child of node.namedChildren) {
        if (!child) continue;
        const part = staticValue(child);
        if (part === undefined) return undefined;
        value += part;
      }
      return value;
    }
    default:
      return undefined;
  }
}
