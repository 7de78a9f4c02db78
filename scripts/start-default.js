// `npm start`: run the daemon on a working copy of sentinel.conf.example, which it may rewrite.
import { copyFileSync, existsSync } from 'node:fs';
import { main } from '../dist/src/cli.js';

if (!existsSync('sentinel.conf')) copyFileSync('sentinel.conf.example', 'sentinel.conf');
main(['sentinel.conf', ...process.argv.slice(2)]);
