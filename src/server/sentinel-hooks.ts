import type { SentinelInfo } from '../core/operations.js';
import type { Reply } from '../resp/reply.js';

/**
 * What the 26379 server needs from the sentinel itself. The server owns
 * connections, authentication, the generic commands and pub/sub; everything
 * sentinel-specific is answered through these hooks.
 */
export interface SentinelHooks {
  /**
   * `SENTINEL <sub> ...`: argv without the leading `SENTINEL`; arity has already been checked.
   * A promise when the reply waits for a config write: that client's later commands wait behind it.
   */
  sentinelCommand(argv: string[], client: ClientView): Reply | Promise<Reply>;
  /** What the `# Sentinel` section of INFO reports. */
  sentinelInfo(): SentinelInfo;
  /** `hz:` of INFO server: the tick frequency currently in force. */
  currentHz(): number;
  /** Master names for ROLE. */
  masterNames(): string[];
  /** `PUBLISH __sentinel__:hello <payload>` from a peer. */
  hello(payload: string): void;
  /** Absolute path of the config file, for INFO server. */
  configFile(): string;
}

export interface ClientView {
  id: number;
  name: string;
  protocol: 2 | 3;
}
