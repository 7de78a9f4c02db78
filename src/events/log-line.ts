import type { Action } from '../core/actions.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** C's ctime() without the newline, in local time: `Sun Nov 21 22:20:12 2026`. */
export function ctime(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${d.getFullYear()}`;
}

/** The text of a core's log action, its moment (if any) printed in the host's time zone. */
export function logLineText(action: Extract<Action, { kind: 'log' }>): string {
  return action.localTime === undefined ? action.message : `${action.message} ${ctime(action.localTime)}`;
}
