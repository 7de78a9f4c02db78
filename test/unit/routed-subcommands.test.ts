import { describe, expect, it } from 'vitest';
import { CommandCatalog } from '../../src/server/command-catalog.js';

/** Beyond Redis: SENTINEL subcommands answered although the 7.0 command table does not list them. */
describe('routed SENTINEL subcommands', () => {
  const catalog = CommandCatalog.load();

  it("are found by a request, with the Redis name's flags and categories, their own name and arity", () => {
    const lookup = catalog.lookup('SENTINEL', 'Primary');
    expect(lookup.kind).toBe('found');
    const spec = lookup.kind === 'found' ? lookup.spec : null;
    const master = catalog.get('sentinel|master')!;
    expect(spec).toMatchObject({ name: 'sentinel|primary', arity: 3, categories: master.categories, actsAs: master });
    expect(spec?.flags).toBe(master.flags);
    const forget = catalog.lookup('sentinel', 'FORGET');
    expect(forget.kind === 'found' && [forget.spec.name, forget.spec.arity, forget.spec.actsAs?.name]).toEqual(['sentinel|forget', -5, 'sentinel|reset']);
    for (const name of ['primaries', 'get-primary-addr-by-name', 'is-primary-down-by-addr']) {
      expect(catalog.lookup('sentinel', name).kind, name).toBe('found');
    }
    expect(catalog.lookup('sentinel', 'nosuch').kind).toBe('unknown-subcommand');
    expect(catalog.lookup('client', 'primary').kind).toBe('unknown-subcommand');
  });

  it('are not in the table: COMMAND, COMMAND INFO/DOCS/LIST and ACL CAT stay 7.0.15’s', () => {
    expect(catalog.all()).toHaveLength(72);
    expect(catalog.get('sentinel|primary')).toBeUndefined();
    expect(catalog.get('sentinel|forget')).toBeUndefined();
    expect(catalog.get('sentinel|explain')).toBeUndefined();
    expect([...catalog.get('sentinel')!.subcommands.keys()].filter((n) => /primar|forget/.test(n))).toEqual([]);
    expect(catalog.routedSubcommands().map((s) => s.name).sort()).toEqual(
      ['sentinel|explain', 'sentinel|forget', 'sentinel|get-primary-addr-by-name', 'sentinel|is-primary-down-by-addr', 'sentinel|primaries', 'sentinel|primary'],
    );
  });
});
