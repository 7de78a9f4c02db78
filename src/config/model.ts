/** The persisted sentinel state is the core's type; the config layer reads and writes it. */
export {
  DEFAULT_PARALLEL_SYNCS,
  emptySentinelConfig,
  newMasterConfig,
  type KnownReplica,
  type KnownSentinel,
  type MasterConfig,
  type SentinelConfig,
} from '../core/persisted.js';

export const SENTINEL_DEFAULT_PORT = 26379;
