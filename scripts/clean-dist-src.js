// Run by `prepack` before the build: tsc never deletes what it emitted for a source file
// since removed or renamed, and `files` ships all of dist/src, so a package built over an
// old dist would carry modules that exist in no source.
import { rmSync } from 'node:fs';

rmSync('dist/src', { recursive: true, force: true });
