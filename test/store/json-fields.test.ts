/**
 * The one reader of JSON input (host model file, state file, admin request bodies): each
 * check names its field; FieldProblems reports a whole document at once.
 */
import { describe, expect, test } from 'vitest';
import { array, bool, bytes, FieldError, FieldProblems, guid, integer, object, oneOf, string, unknownKeys } from '../../src/store/json-fields.js';

const messageOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FieldError);
    return (e as Error).message;
  }
  return undefined;
};

describe('each check names its field', () => {
  test.each([
    ['an object', () => object([], 'host'), 'host: expected an object'],
    ['an array', () => array({}, 'volumes'), 'volumes: expected an array'],
    ['a missing string', () => string(undefined, 'name'), 'name: is required (a non-empty string)'],
    ['a missing string that may be empty', () => string(undefined, 'path', { empty: true }), 'path: is required (a string)'],
    ['an empty string', () => string('', 'name'), 'name: expected a non-empty string'],
    ['a number for a string', () => string(3, 'name'), 'name: expected a non-empty string'],
    ['a long string', () => string('abcdef', 'name', { max: 5 }), 'name: longer than 5 characters'],
    ['a string of the wrong form', () => string('x', 'host.netbiosName', { form: { re: /^y$/, what: 'a y' } }), 'host.netbiosName: expected a y, not "x"'],
    ['a GUID', () => guid('sql', 'writerId'), 'writerId: expected a GUID, not "sql"'],
    ['a boolean', () => bool('yes', 'selectable'), 'selectable: expected true or false'],
    ['a missing boolean', () => bool(undefined, 'succeeded'), 'succeeded: is required (true or false)'],
    ['an integer', () => integer(0.5, 'countInSet', 1), 'countInSet: expected an integer ≥ 1'],
    ['one of', () => oneOf('table', 'type', ['database', 'filegroup']), 'type: expected one of database, filegroup'],
    ['bytes', () => bytes('lots', 'totalBytes'), 'totalBytes: expected a whole number of bytes (a number or a decimal string)'],
    ['bytes or no limit', () => bytes('lots', 'maxSize', { noLimit: true, unbounded: true }), 'maxSize: expected a whole number of bytes (a number or a decimal string), or -1 / "UNBOUNDED" for no limit'],
    ['negative bytes', () => bytes(-1, 'freeBytes'), 'freeBytes: expected a non-negative number of bytes'],
    ['negative bytes, -1 being no limit', () => bytes('-2', 'maximumBytes', { noLimit: true }), 'maximumBytes: expected bytes, or -1 for no limit'],
    ['bytes past 64 bits', () => bytes('9223372036854775808', 'totalBytes'), 'totalBytes: more bytes than a 64-bit count holds'],
  ])('%s', (_name, check, message) => expect(messageOf(check)).toBe(message));

  test('values that pass come back as read (GUIDs canonical, bytes as bigint)', () => {
    expect(guid('{B5946137-7B9F-4925-AF80-51ABD60B20D5}', 'id')).toBe('b5946137-7b9f-4925-af80-51abd60b20d5');
    expect([bytes('18446744', 'b'), bytes(5, 'b'), bytes('UNBOUNDED', 'b', { noLimit: true, unbounded: true }), bytes(-1, 'b', { noLimit: true })]).toEqual([18446744n, 5n, -1n, -1n]);
    expect([bool(undefined, 'x', true), oneOf(undefined, 'x', ['a', 'b'], 'b'), string('', 'x', { empty: true })]).toEqual([true, 'b', '']);
  });

  test('"UNBOUNDED" is no limit only where a field says so', () => {
    expect(messageOf(() => bytes('UNBOUNDED', 'maximumBytes', { noLimit: true }))).toMatch(/^maximumBytes: expected a whole number/);
  });

  test('unknown keys are named under their parent, with what was expected', () => {
    expect(unknownKeys({ a: 1, colour: 'blue' }, 'volumes[0]', ['a'])).toEqual([{ field: 'volumes[0].colour', message: 'unknown field (expected a)' }]);
    expect(unknownKeys({ x: 1 }, '', [])).toEqual([{ field: 'x', message: 'unknown field (expected none)' }]);
  });
});

test('FieldProblems: every problem of a document at once, each check with its stand-in', () => {
  const p = new FieldProblems();
  const doc = { name: '', size: 'big', ok: true };
  const got = [p.take(() => string(doc.name, 'name'), '?'), p.take(() => bytes(doc.size, 'size'), 0n), p.take(() => bool(doc.ok, 'ok'), false)];
  expect(got).toEqual(['?', 0n, true]);
  expect(p.list.map((x) => x.field)).toEqual(['name', 'size']);
  const all = new FieldError(p.list[0]!.field, p.list[0]!.message, p.list.slice(1));
  expect(all.message.split('\n')).toEqual(['name: expected a non-empty string', 'size: expected a whole number of bytes (a number or a decimal string)']);
  // A defect of the code is not a problem of the document.
  expect(() => p.take(() => { throw new TypeError('bug'); }, 0)).toThrow(TypeError);
});
