import type { Supervised } from '../config/server-options.js';
import type { Logger } from '../events/log.js';
import type { Notifier } from './sd-notify.js';

/** The `supervised` setting at work: what INFO reports and what systemd is told. */
export interface Supervision {
  /** INFO `process_supervised`. */
  readonly supervised: 'no' | 'upstart' | 'systemd';
  /** ready() and stopping() send something (and log any failure). */
  readonly tellsSystemd: boolean;
  /** Once listening and monitoring, as redis-sentinel after sentinelIsRunning(). */
  ready(): Promise<void>;
  /** Right after "User requested shutdown...". */
  stopping(): Promise<void>;
}

export interface SupervisionEnvironment {
  env: NodeJS.ProcessEnv;
  notifier: Notifier;
  /** raise(SIGSTOP): how a process tells upstart it is ready. */
  stopSelf: () => void;
}

export const NOT_SUPERVISED: Supervision = { supervised: 'no', tellsSystemd: false, ready: async () => {}, stopping: async () => {} };

/**
 * redis-sentinel 7.0's redisIsSupervised(), with its log lines, called where Redis calls it:
 * after the config is loaded and checked, before the "Redis is starting" banner.
 *
 * A failed attempt leaves Redis's supervised_mode as configured: with `supervised systemd`
 * and no usable NOTIFY_SOCKET, Redis still tries (and logs the failure) at ready and at
 * shutdown, while INFO says `no`; a failed `auto` tells systemd nothing more.
 */
export async function supervise(configured: Supervised, logger: Logger, environment: SupervisionEnvironment): Promise<Supervision> {
  const { env, notifier } = environment;
  let mode = configured;
  if (mode === 'auto') {
    if (env.UPSTART_JOB !== undefined) {
      logger.log('verbose', 'Upstart supervision detected.');
      mode = 'upstart';
    } else if (env.NOTIFY_SOCKET !== undefined) {
      logger.log('verbose', 'Systemd supervision detected.');
      mode = 'systemd';
    }
  }

  /** redisCommunicateSystemd(). */
  const communicate = async (message: string): Promise<number> => {
    const result = await notifier.send(message);
    if (result === 0) logger.log('warning', 'systemd supervision error: NOTIFY_SOCKET not found!');
    else if (result < 0) logger.log('warning', `systemd supervision error: sd_notify: ${result}`);
    return result;
  };

  let supervised = false;
  if (mode === 'upstart') {
    if (env.UPSTART_JOB === undefined) {
      logger.log('warning', 'upstart supervision requested, but UPSTART_JOB not found!');
    } else {
      logger.log('notice', 'supervised by upstart, will stop to signal readiness.');
      environment.stopSelf();
      delete env.UPSTART_JOB;
      supervised = true;
    }
  } else if (mode === 'systemd') {
    if ((await communicate('STATUS=Redis is loading...\n')) > 0) {
      logger.log(
        'notice',
        'Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.',
      );
      supervised = true;
    }
  }

  const supervisedMode = supervised ? mode : configured;
  const tellsSystemd = supervisedMode === 'systemd';
  return {
    supervised: supervised && mode !== 'auto' && mode !== 'no' ? mode : 'no',
    tellsSystemd,
    ready: async () => {
      if (!tellsSystemd) return;
      await communicate('STATUS=Ready to accept connections\n');
      await communicate('READY=1\n');
    },
    stopping: async () => {
      if (tellsSystemd) await communicate('STOPPING=1\n');
    },
  };
}
