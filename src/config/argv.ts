/**
 * redis-server's command line: an optional config file, then `--name value`
 * options that become config lines appended after the file (and stdin).
 * `--help` and `--version` are the CLI's business, not handled here.
 */
import { quoteRepr, splitArgs } from './split-args.js';

export interface ArgvConfig {
  /** The config file as an absolute path (Redis makes it absolute before any `dir` runs), or null. */
  configFile: string | null;
  /** `-` as the first or last argument: config is also read from stdin. */
  readStdin: boolean;
  /** The config lines built from the options, to load after the file and stdin (see assembleConfigText). */
  text: string;
}

/**
 * Turns the arguments after the program name into config text, as Redis
 * 7.0.15 does. `cwd` (default process.cwd()) makes a relative config path absolute.
 */
export function argvToConfigText(args: string[], cwd: string = process.cwd()): ArgvConfig {
  let configFile: string | null = null;
  let readStdin = false;
  let text = '';
  let j = 0;
  if (args.length > 0 && !args[0]!.startsWith('-')) {
    configFile = absoluteConfigPath(args[0]!, cwd);
    j = 1;
  }
  // False right after an option name that still expects its value.
  let valueGiven = true;
  const last = args.length - 1;
  for (; j < args.length; j++) {
    const arg = args[j]!;
    if (arg === '-' && (j === 0 || j === last)) {
      readStdin = true;
    } else if (valueGiven && arg.startsWith('--')) {
      if (text !== '') text += '\n';
      text += `${arg.slice(2)} `;
      const words = splitArgs(arg)?.length ?? 0;
      if (words !== 1) {
        // "--port 6380" in one argument carries its own value.
        valueGiven = true;
        continue;
      }
      valueGiven = false;
      const lower = arg.toLowerCase();
      const nextIsOption = j !== last && args[j + 1]!.startsWith('--');
      // `--save` with no value means `save ""`; `--sentinel` takes no value at all.
      if (lower === '--save' && (nextIsOption || j === last)) {
        text += '""';
        valueGiven = nextIsOption;
      } else if (lower === '--sentinel' && nextIsOption) {
        valueGiven = true;
      }
    } else {
      text += `${quoteRepr(arg)} `;
      valueGiven = true;
    }
  }
  return { configFile, readStdin, text };
}

/**
 * Redis's getAbsolutePath: trims blanks; an absolute path is kept as is;
 * otherwise it is joined to `cwd`, folding only leading `../` parts.
 */
export function absoluteConfigPath(file: string, cwd: string): string {
  let rel = file.replace(/^[ \r\n\t]+|[ \r\n\t]+$/g, '');
  if (rel.startsWith('/')) return rel;
  let abs = cwd.endsWith('/') || cwd === '' ? cwd : `${cwd}/`;
  while (rel.startsWith('../')) {
    rel = rel.slice(3);
    if (abs.length > 1) abs = abs.slice(0, abs.lastIndexOf('/', abs.length - 2) + 1);
  }
  return abs + rel;
}
