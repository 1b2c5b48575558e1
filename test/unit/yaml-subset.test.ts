// The YAML subset reader the deployment test reads compose.yaml with: it reads the subset as
// YAML does, and refuses what lies outside it (so compose.yaml cannot drift into YAML the reader
// would misread).
import assert from 'node:assert/strict';
import { test } from 'uvu';

import { YamlSubsetError, parseYamlSubset } from '../support/yaml-subset.js';

test('yaml subset: mappings, sequences, quoted and plain scalars, empty values, comments', () => {
  const source = [
    '# a comment',
    'name: demo',
    'services:',
    '  a:',
    '    command:',
    '      - namesrv',
    '      - --port',
    '      - "9876"',
    '    retries: 5',
    "    test: 'it''s \"quoted\"'",
    '    escaped: "a \\"b\\" \\\\ c"',
    '    on: true',
    'volumes:',
    '  data:',
  ].join('\n');
  assert.deepEqual(parseYamlSubset(source), {
    name: 'demo',
    services: {
      a: {
        command: ['namesrv', '--port', '9876'],
        retries: 5,
        test: `it's "quoted"`,
        escaped: 'a "b" \\ c',
        on: true,
      },
    },
    volumes: { data: null },
  });
});

test('yaml subset: flow collections, anchors, tabs, trailing comments, duplicate keys and block scalars are refused', () => {
  const outside = [
    'a: [1, 2]',
    'a: {b: 1}',
    'a: &anchor x',
    'a:\n\t- x',
    'a: x # comment',
    'a: 1\na: 2',
    'a: |\n  text',
    'a:\n  - b: 1',
    'a: "unterminated',
    'a: "x" y',
  ];
  for (const source of outside) {
    assert.throws(() => parseYamlSubset(source), YamlSubsetError, JSON.stringify(source));
  }
});

test.run();
