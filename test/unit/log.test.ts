import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, redisTimestamp, type LogLevel } from '../../src/events/log.js';

const PID = 9182;
// Built from local-time fields, so the expected text holds in any time zone.
const FIXED = new Date(2026, 10, 21, 22, 14, 57, 196);

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'log-test-'));
  file = join(dir, 'sentinel.log');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const lines = (path: string) => readFileSync(path, 'utf8').split('\n').slice(0, -1);

describe('Redis log line format', () => {
  it('matches redis-sentinel: pid, role X, local time with milliseconds, level mark', async () => {
    const logger = createLogger({ level: 'notice', file, json: false, pid: PID, clock: () => FIXED });
    logger.log('warning', '+monitor master mymaster 127.0.0.1 6491 quorum 1');
    await logger.close();
    expect(readFileSync(file, 'utf8')).toBe('9182:X 21 Nov 2026 22:14:57.196 # +monitor master mymaster 127.0.0.1 6491 quorum 1\n');
  });

  it("writes the signal handler's line as Redis does, without time or level", async () => {
    const logger = createLogger({ level: 'notice', file, json: false, pid: PID, clock: () => FIXED });
    logger.signalHandler('Received SIGTERM scheduling shutdown...');
    await logger.close();
    expect(readFileSync(file, 'utf8')).toBe(
      `9182:signal-handler (${Math.floor(FIXED.getTime() / 1000)}) Received SIGTERM scheduling shutdown...\n`,
    );
  });

  it('pads day, time and milliseconds', () => {
    expect(redisTimestamp(new Date(2026, 0, 5, 3, 4, 5, 7))).toBe('05 Jan 2026 03:04:05.007');
    expect(redisTimestamp(new Date(2025, 11, 31, 23, 59, 59, 999))).toBe('31 Dec 2025 23:59:59.999');
  });

  it('marks each level as Redis does', async () => {
    const logger = createLogger({ level: 'debug', file, json: false, pid: PID, clock: () => FIXED });
    for (const level of ['debug', 'verbose', 'notice', 'warning'] as const) logger.log(level, level);
    await logger.close();
    expect(lines(file).map((l) => l.slice('9182:X 21 Nov 2026 22:14:57.196 '.length))).toEqual([
      '. debug',
      '- verbose',
      '* notice',
      '# warning',
    ]);
  });

  it('cuts messages to 1023 bytes like Redis, without splitting a character', async () => {
    const logger = createLogger({ level: 'notice', file, json: false, pid: PID, clock: () => FIXED });
    logger.log('notice', 'x'.repeat(2000));
    logger.log('notice', `${'x'.repeat(1022)}é`);
    await logger.close();
    const [long, accented] = lines(file).map((l) => l.slice('9182:X 21 Nov 2026 22:14:57.196 * '.length));
    expect(long).toBe('x'.repeat(1023));
    expect(accented).toBe('x'.repeat(1022));
  });
});

describe('level filtering', () => {
  const all: LogLevel[] = ['debug', 'verbose', 'notice', 'warning'];
  const written = async (configured: LogLevel) => {
    const logger = createLogger({ level: configured, file, json: false, pid: PID, clock: () => FIXED });
    for (const level of all) logger.log(level, level);
    await logger.close();
    return existsSync(file) ? lines(file).map((l) => l.split(' ').pop()) : [];
  };

  it('writes a message only if its level is at least the configured one', async () => {
    expect(await written('warning')).toEqual(['warning']);
  });
  it('notice hides verbose and debug', async () => {
    expect(await written('notice')).toEqual(['notice', 'warning']);
  });
  it('verbose hides debug only', async () => {
    expect(await written('verbose')).toEqual(['verbose', 'notice', 'warning']);
  });

  it('setLevel changes what is written from then on', async () => {
    const logger = createLogger({ level: 'warning', file, json: false, pid: PID, clock: () => FIXED });
    logger.log('debug', 'before');
    logger.setLevel('debug');
    expect(logger.level()).toBe('debug');
    logger.log('debug', 'after');
    logger.setLevel('warning');
    logger.log('notice', 'hidden again');
    await logger.close();
    expect(lines(file)).toEqual(['9182:X 21 Nov 2026 22:14:57.196 . after']);
  });
});

describe('JSON lines', () => {
  it('writes one object per line with time, pid, level and message', async () => {
    const logger = createLogger({ level: 'notice', file, json: true, pid: PID, clock: () => new Date('2026-11-21T22:14:57.196Z') });
    logger.log('warning', '+sdown master m 127.0.0.1 6379');
    logger.log('notice', 'with "quotes"\nand a newline');
    logger.log('debug', 'filtered');
    await logger.close();
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')).toHaveLength(3);
    expect(lines(file).map((l) => JSON.parse(l))).toEqual([
      { time: '2026-11-21T22:14:57.196Z', pid: PID, level: 'warning', message: '+sdown master m 127.0.0.1 6379' },
      { time: '2026-11-21T22:14:57.196Z', pid: PID, level: 'notice', message: 'with "quotes"\nand a newline' },
    ]);
    expect(Object.keys(JSON.parse(lines(file)[0]))).toEqual(['time', 'pid', 'level', 'message']);
  });
});

describe('file output', () => {
  it('appends to an existing file', async () => {
    writeFileSync(file, 'earlier line\n');
    const logger = createLogger({ level: 'notice', file, json: false, pid: PID, clock: () => FIXED });
    logger.log('notice', 'new');
    await logger.close();
    expect(lines(file)).toEqual(['earlier line', '9182:X 21 Nov 2026 22:14:57.196 * new']);
  });

  it('each line is on disk as soon as log() returns', () => {
    const logger = createLogger({ level: 'notice', file, json: false, pid: PID, clock: () => FIXED });
    logger.log('notice', 'one');
    expect(lines(file)).toHaveLength(1);
    logger.log('notice', 'two');
    expect(lines(file)).toHaveLength(2);
  });

  it('follows a rotation: after the file is renamed, a new one is created', async () => {
    const logger = createLogger({ level: 'notice', file, json: false, pid: PID, clock: () => FIXED });
    logger.log('notice', 'old');
    renameSync(file, `${file}.1`);
    logger.log('notice', 'new');
    await logger.close();
    expect(lines(`${file}.1`)).toEqual(['9182:X 21 Nov 2026 22:14:57.196 * old']);
    expect(lines(file)).toEqual(['9182:X 21 Nov 2026 22:14:57.196 * new']);
  });

  it('drops lines it cannot write instead of throwing', async () => {
    const logger = createLogger({ level: 'notice', file: join(dir, 'missing', 'x.log'), json: false });
    expect(() => logger.log('warning', 'nowhere')).not.toThrow();
    await logger.close();
  });

  it('ignores logging after close', async () => {
    const logger = createLogger({ level: 'notice', file, json: false, pid: PID, clock: () => FIXED });
    logger.log('notice', 'kept');
    await logger.close();
    expect(() => logger.log('warning', 'late')).not.toThrow();
    await logger.close();
    expect(lines(file)).toEqual(['9182:X 21 Nov 2026 22:14:57.196 * kept']);
  });
});

describe('in a process that exits right after logging', () => {
  // The logger runs in a child process, compiled on the fly, so that process.exit() is real.
  const transpile = (path: string) =>
    ts.transpileModule(readFileSync(new URL(path, import.meta.url), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
  // Its one import of our own, inlined as a data: URL.
  const byteText = `data:text/javascript;base64,${Buffer.from(transpile('../../src/resp/byte-text.ts')).toString('base64')}`;
  const source = transpile('../../src/events/log.ts').replace("'../resp/byte-text.js'", JSON.stringify(byteText));
  const runChild = (file: string, json: boolean) =>
    spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `${source}
const logger = createLogger({ level: 'notice', file: ${JSON.stringify(file)}, json: ${json} });
for (let i = 0; i < 500; i++) logger.log('notice', 'line ' + i);
logger.log('warning', 'last words');
process.exit(0);`,
      ],
      { cwd: new URL('../..', import.meta.url), encoding: 'utf8' },
    );

  it('loses nothing written to a file', () => {
    const child = runChild(file, false);
    expect(child.status).toBe(0);
    const written = lines(file);
    expect(written).toHaveLength(501);
    expect(written[500]).toMatch(new RegExp(`^${child.pid}:X \\d\\d [A-Z][a-z]{2} \\d{4} \\d\\d:\\d\\d:\\d\\d\\.\\d{3} # last words$`));
  });

  it('loses nothing written to stdout', () => {
    const child = runChild('', true);
    expect(child.status).toBe(0);
    const written = child.stdout.split('\n').slice(0, -1).map((l) => JSON.parse(l));
    expect(written).toHaveLength(501);
    expect(written[500]).toMatchObject({ pid: child.pid, level: 'warning', message: 'last words' });
  });
});
