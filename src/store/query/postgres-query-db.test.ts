import assert from 'node:assert/strict';
import { test } from 'node:test';
import { positional } from './postgres-query-db.js';

test('@name parameters become $n positions in order of first use; a name used twice is one position', () => {
  assert.deepEqual(
    positional('SELECT * FROM t WHERE a = @a AND (b = @b OR c = @a) LIMIT @limit', {
      a: 1,
      b: 'x',
      limit: 5,
    }),
    {
      text: 'SELECT * FROM t WHERE a = $1 AND (b = $2 OR c = $1) LIMIT $3',
      values: [1, 'x', 5],
    },
  );
});

test('an @ inside quoted text or a quoted identifier is left alone; unused values are not sent', () => {
  assert.deepEqual(
    positional(`SELECT 'mail@host', 'it''s @x', "@col" FROM t WHERE v = @v`, { v: null, unused: 3 }),
    { text: `SELECT 'mail@host', 'it''s @x', "@col" FROM t WHERE v = $1`, values: [null] },
  );
});

test('a parameter without a value is a programming error, not a NULL', () => {
  assert.throws(() => positional('SELECT @missing', {}), /@missing has no value/);
});
