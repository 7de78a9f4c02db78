// `npm start`: run the daemon on a working copy of sentinel.conf.example, which it may rewrite.
import { copyFileSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { main } from '../dist/src/cli.js';

/** Whether a Redis answers PING at 127.0.0.1:6379, the master the example config monitors. */
function masterAnswers() {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port: 6379 });
    const done = (ok) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => done(d.toString().startsWith('+PONG') || d.toString().startsWith('-NOAUTH')));
    s.on('error', () => done(false));
  });
}

if (!existsSync('sentinel.conf')) copyFileSync('sentinel.conf.example', 'sentinel.conf');
if (!(await masterAnswers())) {
  process.stdout.write(
    'Nothing answers at 127.0.0.1:6379, the master sentinel.conf.example monitors: start a redis-server there, ' +
      'or run "npm run demo" for a local master, two replicas and three sentinels with a status page.\n',
  );
}
main(['sentinel.conf', ...process.argv.slice(2)]);
