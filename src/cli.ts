import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import yargs from 'yargs';
import { argvToConfigText } from './config/argv.js';
import { checkDirectoryWritable, checkWritable } from './config/atomic-write.js';
import { readConfigFile } from './config/config-files.js';
import { decodeBytes, encodeBytes } from './config/split-args.js';
import { assembleConfigText, ConfigError, ConfigOpenError, parseConfig, type LoadedConfig } from './config/load.js';
import { strerror } from './config/strerror.js';
import { Daemon } from './daemon.js';
import { runDemo } from './demo.js';
import { createLogger, type LogLevel } from './events/log.js';
import { FAST_TUNING, REDIS_TUNING } from './core/timing.js';
import { BlockingLookup } from './links/blocking-lookup.js';
import { HostResolver, recordingResolver } from './links/resolver.js';
import { perlNotifier } from './supervision/sd-notify.js';
import { supervise } from './supervision/supervise.js';

export const VERSION = '0.1.0';
const REDIS_VERSION = '7.0.15';

/** Options of ours, taken out of argv before the rest is read the way redis-sentinel reads it. */
interface Extensions {
  logFormat: 'redis' | 'json';
  timing: 'fast' | 'redis';
}

function takeExtensions(args: string[]): { rest: string[]; ext: Extensions } {
  const ext: Extensions = { logFormat: 'redis', timing: 'fast' };
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--log-format' && i + 1 < args.length) ext.logFormat = args[++i] === 'json' ? 'json' : 'redis';
    else if (a.startsWith('--log-format=')) ext.logFormat = a.slice(13) === 'json' ? 'json' : 'redis';
    else if (a === '--timing' && i + 1 < args.length) ext.timing = args[++i] === 'redis' ? 'redis' : 'fast';
    else if (a.startsWith('--timing=')) ext.timing = a.slice(9) === 'redis' ? 'redis' : 'fast';
    else rest.push(a);
  }
  return { rest, ext };
}

function usage(): string {
  return yargs()
    .scriptName('sentinel')
    .usage(
      [
        'Usage: sentinel /path/to/sentinel.conf [options]',
        '       sentinel - (read config from stdin)',
        '       sentinel -v or --version',
        '       sentinel -h or --help',
        '       sentinel demo (a master, two replicas and three sentinels on free ports, with the status page)',
        '',
        'Every "--name value ..." option is a config line, as with redis-sentinel:',
        '  sentinel /etc/redis/sentinel.conf --port 26380 --loglevel debug',
        '  sentinel sentinel.conf --sentinel announce-ip 10.0.0.5',
      ].join('\n'),
    )
    .option('log-format', { choices: ['redis', 'json'], describe: 'log lines in Redis format (default) or JSON' })
    .option('timing', {
      choices: ['fast', 'redis'],
      describe: "fast (default) acts on a dead master sooner; redis keeps redis-sentinel 7.0's timer and polling",
    })
    .version(false)
    .help(false)
    .wrap(null)
    .getHelp() as unknown as string;
}

export async function main(argv: string[]): Promise<void> {
  if (argv[0] === '-v' || argv[0] === '--version') {
    process.stdout.write(`Redis server v=${REDIS_VERSION} sha=00000000:0 malloc=libc bits=64 build=ts-sentinel-${VERSION}\n`);
    return;
  }
  if (argv[0] === '-h' || argv[0] === '--help') {
    process.stdout.write(`${await usage()}\n`);
    return;
  }
  // Beyond Redis: a local topology to try it (a config file named `demo` still wins).
  if (argv[0] === 'demo' && argv.length === 1 && !existsSync('demo')) {
    try {
      await runDemo();
    } catch (e) {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    }
    return;
  }

  const { rest, ext } = takeExtensions(argv);
  const resolver = new HostResolver({ blockingLookup: new BlockingLookup().lookup });
  const args = argvToConfigText(rest);
  const configPath = args.configFile;
  let loaded: LoadedConfig;
  try {
    const fileText = configPath ? readConfigFile(configPath) : null;
    const stdinText = args.readStdin ? decodeBytes(readFileSync(0)) : null;
    const configText = assembleConfigText(fileText, stdinText, args.text);
    // Resolution is synchronous for the loader: a first pass finds the names, which are looked up before the real pass.
    const wanted = recordingResolver();
    parseConfig(configText, { resolveHost: wanted.record });
    await resolver.preResolve(wanted.names);
    loaded = parseConfig(configText, {
      resolveHost: resolver.resolve,
      chdir: (dir) => {
        try {
          process.chdir(dir);
          return null;
        } catch (e) {
          return strerror(e);
        }
      },
    });
  } catch (e) {
    if (e instanceof ConfigError) {
      // Redis logs what it met while loading (to stdout: no logfile is open yet), then the fatal block.
      if (e.warnings.length > 0) {
        const early = createLogger({ level: 'notice', file: null, json: ext.logFormat === 'json' });
        for (const warning of e.warnings) early.log('warning', warning);
        await early.close();
      }
      process.stderr.write(encodeBytes(e.formatFatal()));
      process.exit(1);
    }
    if (e instanceof ConfigOpenError) {
      // Logged like Redis does, before any logfile is configured: to stdout.
      const early = createLogger({ level: 'notice', file: null, json: ext.logFormat === 'json' });
      early.log('warning', e.logMessage());
      await early.close();
      process.exit(1);
    }
    throw e;
  }
  loaded.server.dir = process.cwd();

  const logger = createLogger({
    level: loaded.server.loglevel as LogLevel,
    file: loaded.server.logfile,
    json: ext.logFormat === 'json',
  });
  if (!configPath) {
    logger.log('warning', 'Sentinel needs config file on disk to save state. Exiting...');
    await logger.close();
    process.exit(1);
  }
  // Beyond Redis: with a state file, sentinel.conf is only read (it may be a read-only mount); the state file's directory must take new versions.
  const stateFile = loaded.stateFile ?? null;
  const notWritable = stateFile === null ? checkWritable(configPath) : checkDirectoryWritable(dirname(stateFile));
  if (notWritable !== null) {
    const what = stateFile === null ? `config file ${configPath}` : `state file directory ${dirname(stateFile)}`;
    logger.log('warning', `Sentinel ${what} is not writable: ${notWritable}. Exiting...`);
    await logger.close();
    process.exit(1);
  }
  for (const warning of loaded.warnings) logger.log('warning', warning);
  const supervision = await supervise(loaded.server.supervised, logger, {
    env: process.env,
    notifier: perlNotifier(process.env.NOTIFY_SOCKET),
    stopSelf: () => process.kill(process.pid, 'SIGSTOP'),
  });

  const daemon = new Daemon({
    config: loaded,
    configPath,
    logger,
    supervision,
    resolver,
    executable: resolvePath(process.argv[1] ?? 'sentinel'),
    tuning: ext.timing === 'redis' ? REDIS_TUNING : FAST_TUNING,
  });
  process.on('SIGTERM', () => void daemon.shutdown(0, 'SIGTERM'));
  process.on('SIGINT', () => void daemon.shutdown(0, 'SIGINT'));
  try {
    await daemon.start();
  } catch (e) {
    logger.log('warning', (e as Error).message);
    await logger.close();
    process.exit(1);
  }
}
