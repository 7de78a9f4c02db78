/** ASCII-only lower-casing, as C's tolower and strcasecmp in the default locale: `\u212A` (Kelvin sign) must not become `k`. */
export function lowerAscii(value: string): string {
  // On ASCII text toLowerCase is the same thing, and much faster.
  for (let i = 0; i < value.length; i++) {
    if (value.charCodeAt(i) > 0x7f) return value.replace(/[A-Z]+/g, (m) => m.toLowerCase());
  }
  return value.toLowerCase();
}
