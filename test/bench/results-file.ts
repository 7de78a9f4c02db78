import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const FILE = 'bench-results.md';

/**
 * Writes one bench's section of bench-results.md (`## <title>` up to the next
 * `## `), keeping the other benches' sections, so benches run together or
 * alone do not overwrite each other.
 */
export function writeResultsSection(title: string, lines: string[]): void {
  const old = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '';
  const sections = old.split(/^(?=## )/m).filter((s) => s.trim() !== '' && !s.startsWith(`## ${title}\n`));
  const mine = `## ${title}\n\n${lines.join('\n')}\n\n`;
  writeFileSync(FILE, [...sections.map((s) => (s.startsWith('## ') ? s : '')), mine].join('').replace(/\n{3,}/g, '\n\n'));
}
