import { describe, expect, it } from 'vitest';
import { absoluteConfigPath, argvToConfigText } from '../../src/config/argv.js';

describe('argvToConfigText', () => {
  it('takes a first argument without a dash as the config file, made absolute', () => {
    expect(argvToConfigText(['sentinel.conf'], '/etc/redis')).toEqual({
      configFile: '/etc/redis/sentinel.conf',
      readStdin: false,
      text: '',
    });
    expect(argvToConfigText(['/abs/s.conf'], '/x').configFile).toBe('/abs/s.conf');
    expect(argvToConfigText(['--port', '1'], '/x').configFile).toBeNull();
  });

  it('turns options into config lines with sdscatrepr-quoted values', () => {
    const r = argvToConfigText(['s.conf', '--port', '26380', '--loglevel', 'a b"c'], '/d');
    expect(r.text).toBe('port "26380" \nloglevel "a b\\"c" ');
  });

  it('takes a name and value given in one argument as they are', () => {
    expect(argvToConfigText(['s.conf', '--port 26380', '--bind', '1.2.3.4'], '/d').text).toBe('port 26380 \nbind "1.2.3.4" ');
  });

  it('appends several values to one option', () => {
    expect(argvToConfigText(['s.conf', '--bind', '127.0.0.1', '::1'], '/d').text).toBe('bind "127.0.0.1" "::1" ');
  });

  it('treats an option right after a valueless option name as its value', () => {
    expect(argvToConfigText(['s.conf', '--port', '--loglevel', 'x'], '/d').text).toBe('port "--loglevel" "x" ');
  });

  it('lets --sentinel stand without a value, before another option or at the end', () => {
    expect(argvToConfigText(['s.conf', '--sentinel', '--loglevel', 'x'], '/d').text).toBe('sentinel \nloglevel "x" ');
    expect(argvToConfigText(['s.conf', '--port', '1', '--sentinel'], '/d').text).toBe('port "1" \nsentinel ');
    // right after a valueless option, --sentinel is that option's value
    expect(argvToConfigText(['s.conf', '--loglevel', '--sentinel', 'x'], '/d').text).toBe('loglevel "--sentinel" "x" ');
  });

  it('gives a bare --save an empty value', () => {
    expect(argvToConfigText(['s.conf', '--save', '--port', '1'], '/d').text).toBe('save ""\nport "1" ');
    expect(argvToConfigText(['s.conf', '--save'], '/d').text).toBe('save ""');
  });

  it('reads stdin for a dash in first or last position only', () => {
    expect(argvToConfigText(['-', '--port', '1'], '/d')).toMatchObject({ configFile: null, readStdin: true, text: 'port "1" ' });
    expect(argvToConfigText(['s.conf', '--port', '1', '-'], '/d')).toMatchObject({ readStdin: true, text: 'port "1" ' });
    expect(argvToConfigText(['s.conf', '--port', '-', 'x'], '/d')).toMatchObject({ readStdin: false, text: 'port "-" "x" ' });
  });
});

describe('absoluteConfigPath', () => {
  it('joins relative paths to the working directory, folding only leading ../', () => {
    expect(absoluteConfigPath('s.conf', '/a/b')).toBe('/a/b/s.conf');
    expect(absoluteConfigPath('../s.conf', '/a/b')).toBe('/a/s.conf');
    expect(absoluteConfigPath('../../../s.conf', '/a/b')).toBe('/s.conf');
    expect(absoluteConfigPath('./s.conf', '/a/b')).toBe('/a/b/./s.conf');
    expect(absoluteConfigPath(' s.conf\n', '/')).toBe('/s.conf');
    expect(absoluteConfigPath('/x/../y', '/a')).toBe('/x/../y');
  });
});
