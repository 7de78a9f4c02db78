export { createClient, flagsOf, pairsToRecord, SentinelQueries } from './clients.js';
export { EventCollector, type EventQuery, type SentinelEvent } from './events.js';
export { Harness, useHarness } from './harness.js';
export { freeLowPort, freePort, freePorts } from './ports.js';
export { ManagedProcess, pidAlive, procStatusField, residentBytes, type ExitStatus, type ProcessSpec, type Signal } from './process.js';
export { RawConnection, rawCommand, type RawReply } from './raw-client.js';
export { redisCli, type CliResult } from './redis-cli.js';
export { answersPing, LOOPBACK, RedisServerProcess, type RedisServerOptions } from './redis-server.js';
export { decodeFrame, encodeCommand, showResp, type RespValue } from './resp.js';
export {
  implUnderTest,
  sentinelConfigText,
  SentinelProcess,
  type MonitorSpec,
  type SentinelImpl,
  type SentinelOptions,
} from './sentinel.js';
export { makeTempDir, removeDir } from './temp-dir.js';
export {
  discoveryView,
  sentinelsUnderTest,
  startTopology,
  waitForDiscovery,
  type Topology,
  type TopologyOptions,
} from './topology.js';
export { waitFor, WaitTimeoutError, type WaitOptions } from './wait-for.js';
