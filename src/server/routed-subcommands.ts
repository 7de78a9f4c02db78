/**
 * Beyond Redis: SENTINEL subcommands that are answered although redis-sentinel 7.0.15's command
 * table does not list them. That table (the captured COMMAND reply) stays what COMMAND, COMMAND
 * INFO/DOCS/COUNT/LIST and ACL CAT serve, byte for byte; these are only found when a request
 * names them. Each takes the flags, ACL categories and ACL permission of a subcommand of the
 * table: a user who may run that one may run this one (`+sentinel|master` allows PRIMARY).
 */
export interface RoutedSubcommand {
  /** Lower case, without the container: `primary`. */
  readonly name: string;
  /** The table's subcommand it stands for. */
  readonly actsAs: string;
  /** Its own arity, counting `SENTINEL` and the subcommand; an alias takes the arity of `actsAs`. */
  readonly arity?: number;
}

export const ROUTED_SENTINEL_SUBCOMMANDS: readonly RoutedSubcommand[] = [
  // Valkey 8's names.
  { name: 'primary', actsAs: 'master' },
  { name: 'primaries', actsAs: 'masters' },
  { name: 'get-primary-addr-by-name', actsAs: 'get-master-addr-by-name' },
  { name: 'is-primary-down-by-addr', actsAs: 'is-master-down-by-addr' },
  // Forgetting one dead replica or peer: an administrative change, as RESET is.
  { name: 'forget', actsAs: 'reset', arity: -5 },
  // Why a failover would or would not start: a read-only question, as MASTER is.
  { name: 'explain', actsAs: 'master', arity: 3 },
];
