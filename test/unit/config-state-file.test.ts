import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PURE } from './pure-config.js';
import { flushConfigFile } from '../../src/config/atomic-write.js';
import { ConfigError, parseConfig, type ParseConfigOptions } from '../../src/config/load.js';
import { rewriteConfig, rewriteStateFile } from '../../src/config/rewrite.js';
import { readStateFile, STATE_FILE_MODE, StateFileReadError } from '../../src/config/state-file.js';

const DEFAULTS = { downAfterMs: 30000, failoverTimeoutMs: 180000 };
const MYID_CONFIG = '1111111111111111111111111111111111111111';
const MYID_STATE = '2222222222222222222222222222222222222222';

/** Loads `config` with the state file's text given (null: no state file), and records which path was read. */
function load(config: string, stateText: string | null, extra: ParseConfigOptions = {}) {
  const read: string[] = [];
  const loaded = parseConfig(config, {
    ...PURE,
    readStateFile: (path) => {
      read.push(path);
      return stateText;
    },
    ...extra,
  });
  return { loaded, read };
}

function fatal(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const CONFIG = [
  'port 26379',
  `sentinel myid ${MYID_CONFIG}`,
  'sentinel monitor kept 10.0.0.1 6379 2',
  'sentinel monitor removed 10.0.0.2 6379 2',
  'sentinel auth-pass kept from-config',
  'sentinel deny-scripts-reconfig yes',
  'sentinel current-epoch 3',
  'sentinel state-file sentinel.state',
  '',
].join('\n');

const STATE = [
  `sentinel myid ${MYID_STATE}`,
  'sentinel monitor kept 10.0.0.9 6380 3',
  'sentinel auth-pass kept from-state',
  'sentinel config-epoch kept 7',
  'sentinel known-replica kept 10.0.0.1 6379',
  'sentinel monitor added 10.0.0.3 6379 1',
  'sentinel current-epoch 7',
  'sentinel announce-ip 10.1.1.1',
  '',
].join('\n');

describe('sentinel state-file: where it is', () => {
  it('is not set by default: no state file is read, and the config is what it was', () => {
    const { loaded, read } = load('sentinel monitor m 10.0.0.1 6379 1\n', 'sentinel monitor x 10.0.0.2 6379 1\n');
    expect(read).toEqual([]);
    expect(loaded.stateFile).toBeUndefined();
    expect(loaded.sentinel.masters.map((m) => m.name)).toEqual(['m']);
  });

  it('resolves a relative path against `dir`, wherever `dir` is in the file (as Redis opens its other files)', () => {
    const { loaded, read } = load('sentinel state-file run/s.state\ndir /data/sentinel\n', null);
    expect(loaded.stateFile).toBe('/data/sentinel/run/s.state');
    expect(read).toEqual(['/data/sentinel/run/s.state']);
  });

  it('resolves a relative path against the working directory without `dir`, and keeps an absolute one', () => {
    expect(load('sentinel state-file s.state\n', null).loaded.stateFile).toBe('/var/lib/sentinel/s.state');
    expect(load('sentinel state-file /state/s.state\n', null).loaded.stateFile).toBe('/state/s.state');
  });

  it('refuses an empty path, at its line, with the config file named', () => {
    const e = fatal(() => load('port 1\nsentinel state-file ""\n', null));
    expect(e.formatFatal()).toBe(
      "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'sentinel state-file \"\"'\nPlease specify a path for the state-file option.\n",
    );
  });
});

describe('sentinel state-file: loading order (the config, then the state file)', () => {
  it('without a state file yet, the config seeds the state', () => {
    const { loaded } = load(CONFIG, null);
    expect(loaded.sentinel.myid).toBe(MYID_CONFIG);
    expect(loaded.sentinel.masters.map((m) => m.name)).toEqual(['kept', 'removed']);
  });

  it('a state file of blanks and comments only counts as not there yet', () => {
    const { loaded } = load(CONFIG, '\n# nothing yet\n\n');
    expect(loaded.sentinel.masters.map((m) => m.name)).toEqual(['kept', 'removed']);
  });

  it("once it exists the state file's state wins: masters, their settings, epochs, myid, announce-ip", () => {
    const { loaded } = load(CONFIG, STATE);
    const s = loaded.sentinel;
    expect(s.myid).toBe(MYID_STATE);
    expect(s.currentEpoch).toBe(7n);
    expect(s.announceIp).toBe('10.1.1.1');
    // `removed` is still in sentinel.conf, but no longer monitored: the state file is the set of masters.
    expect(s.masters.map((m) => m.name)).toEqual(['kept', 'added']);
    const kept = s.masters[0]!;
    expect([kept.host, kept.port, kept.quorum, kept.authPass, kept.configEpoch]).toEqual(['10.0.0.9', 6380, 3, 'from-state', 7n]);
    expect(kept.knownReplicas).toEqual([{ host: '10.0.0.1', port: 6379 }]);
  });

  it("a setting the state file leaves out is the default, not sentinel.conf's (it was cleared at run time)", () => {
    const { loaded } = load(CONFIG, 'sentinel monitor kept 10.0.0.9 6380 3\n');
    expect(loaded.sentinel.masters[0]!.authPass).toBeNull();
    expect(loaded.sentinel.currentEpoch).toBe(0n);
  });

  it('deny-scripts-reconfig stays sentinel.conf\'s: the state file may not hold it', () => {
    const config = CONFIG.replace('deny-scripts-reconfig yes', 'deny-scripts-reconfig no');
    expect(load(config, STATE).loaded.sentinel.denyScriptsReconfig).toBe(false);
    expect(load(CONFIG, STATE).loaded.sentinel.denyScriptsReconfig).toBe(true);
    const e = fatal(() => load(CONFIG, 'sentinel deny-scripts-reconfig no\n'));
    expect(e.reason).toBe('The deny-scripts-reconfig option belongs in the config file, not in the state file.');
  });

  it('the server options stay sentinel.conf\'s: the state file holds sentinel lines only', () => {
    const e = fatal(() => load(CONFIG, `sentinel myid ${MYID_STATE}\nport 1\n`));
    expect(e.formatFatal()).toBe(
      "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the state file /var/lib/sentinel/sentinel.state, at line 2\n>>> 'port 1'\nOnly sentinel lines belong in the state file.\n",
    );
    expect(fatal(() => load(CONFIG, 'sentinel state-file other\n')).reason).toMatch(/belongs in the config file/);
  });

  it('a bad sentinel line in the state file is fatal, with its line in the state file', () => {
    const e = fatal(() => load(CONFIG, 'sentinel monitor a 10.0.0.1 6379 1\n\nsentinel quorum-of-nothing b 1\n'));
    expect(e.line).toBe(3);
    expect(e.stateFile).toBe('/var/lib/sentinel/sentinel.state');
    expect(e.reason).toBe('Unrecognized sentinel configuration statement.');
    expect(fatal(() => load(CONFIG, 'sentinel config-epoch gone 1\n')).reason).toBe('No such master with specified name.');
  });

  it('a state file that cannot be read is fatal, naming the file', () => {
    const e = fatal(() =>
      load(CONFIG, null, {
        readStateFile: () => {
          throw new StateFileReadError('Permission denied');
        },
      }),
    );
    expect(e.formatFatal()).toBe(
      "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nCan't read the state file /var/lib/sentinel/sentinel.state: Permission denied\n",
    );
  });
});

describe('rewriteStateFile', () => {
  it('writes the sentinel state only, and loads back to the same state', () => {
    const { loaded } = load(CONFIG, STATE);
    loaded.sentinel.masters[0]!.quorum = 5;
    const text = rewriteStateFile(null, loaded.sentinel, DEFAULTS);
    expect(text).not.toMatch(/^port|deny-scripts-reconfig|state-file/m);
    expect(text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).every((l) => l.startsWith('sentinel '))).toBe(true);
    expect(load(CONFIG, text).loaded.sentinel).toEqual(loaded.sentinel);
  });

  it('a removed master disappears from the state file, and stays removed although sentinel.conf monitors it', () => {
    const first = load(CONFIG, null).loaded.sentinel;
    const before = rewriteStateFile(null, first, DEFAULTS);
    first.masters = first.masters.filter((m) => m.name !== 'removed');
    const after = rewriteStateFile(before, first, DEFAULTS);
    expect(before).toMatch(/sentinel monitor removed/);
    expect(after).not.toMatch(/removed/);
    expect(load(CONFIG, after).loaded.sentinel.masters.map((m) => m.name)).toEqual(['kept']);
  });

  it('leaves the config rewrite as it was: deny-scripts-reconfig no is still written to sentinel.conf', () => {
    const { server, sentinel } = parseConfig('sentinel deny-scripts-reconfig no\n', PURE);
    expect(rewriteConfig(null, server, sentinel, DEFAULTS)).toMatch(/^sentinel deny-scripts-reconfig no$/m);
    expect(rewriteStateFile(null, sentinel, DEFAULTS)).not.toMatch(/deny-scripts-reconfig/);
  });
});

describe('the state file on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'state-file-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is created 0600 and kept 0600 on every rewrite, even under a permissive umask', async () => {
    const path = join(dir, 'sentinel.state');
    const mask = process.umask(0);
    try {
      await flushConfigFile(path, () => 'sentinel current-epoch 1\n', STATE_FILE_MODE);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      await flushConfigFile(path, (old) => `${old}sentinel current-epoch 2\n`, STATE_FILE_MODE);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readFileSync(path, 'utf8')).toBe('sentinel current-epoch 1\nsentinel current-epoch 2\n');
    } finally {
      process.umask(mask);
    }
  });

  it('reads as not there when missing, and reports other errors with the strerror text', () => {
    expect(readStateFile(join(dir, 'missing'))).toBeNull();
    writeFileSync(join(dir, 's'), 'sentinel current-epoch 1\n');
    expect(readStateFile(join(dir, 's'))).toBe('sentinel current-epoch 1\n');
    expect(() => readStateFile(dir)).toThrow('Is a directory');
  });
});

// The worker thread runs the built module: tests run after `npm run build` (scripts/test.sh).
const BUILT_RENDERER = fileURLToPath(new URL('../../dist/src/config/rewrite-off-thread.js', import.meta.url));

describe('state file rendering off the event loop', () => {
  it('renders a big state file in the thread exactly as in place', async () => {
    expect(existsSync(BUILT_RENDERER), `${BUILT_RENDERER} is missing: run 'npm run build' first`).toBe(true);
    const { ConfigRenderer } = (await import(BUILT_RENDERER)) as typeof import('../../src/config/rewrite-off-thread.js');
    const lines = [`sentinel myid ${MYID_STATE}`];
    for (let i = 0; i < 600; i++) lines.push(`sentinel monitor m${i} 127.0.0.1 ${20000 + i} 2`, `sentinel known-replica m${i} 127.0.0.1 ${30000 + i}`);
    const text = `${lines.join('\n')}\n`;
    const { sentinel } = load('sentinel state-file s.state\n', text).loaded;
    expect(sentinel.masters).toHaveLength(600);
    const renderer = new ConfigRenderer();
    try {
      expect(await renderer.render(text, null, sentinel, DEFAULTS)).toBe(rewriteStateFile(text, sentinel, DEFAULTS));
    } finally {
      await renderer.close();
    }
  });
});
