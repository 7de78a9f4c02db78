import type { ParseConfigOptions } from '../../src/config/load.js';

/** Config loading without the file system: every path exists, is executable and writable. */
export const PURE: ParseConfigOptions = {
  cwd: '/var/lib/sentinel',
  chdir: () => null,
  isExecutable: () => true,
  checkLogfile: () => null,
  readInclude: () => [],
};
