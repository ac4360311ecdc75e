import t from 'tap';
import { normalize, tokenize } from '../../src/data/tokenize.ts';

t.test('lowercases and deletes punctuation', async (t) => {
  t.same(tokenize('A Dog, running!'), ['a', 'dog', 'running']);
  t.same(tokenize('A girl going into a wooden building .'), ['a', 'girl', 'going', 'into', 'a', 'wooden', 'building']);
  t.same(tokenize("the man 's hat"), ['the', 'man', 's', 'hat']);
});

t.test('t-shirt becomes tshirt (hyphen deleted, not split)', async (t) => {
  t.same(tokenize('A T-shirt'), ['a', 'tshirt']);
});

t.test('multiple spaces, tabs and newlines collapse', async (t) => {
  t.same(tokenize('  two   dogs\t\tplay \n '), ['two', 'dogs', 'play']);
  t.equal(normalize('  Two   DOGS . '), 'two dogs');
});

t.test('empty and punctuation-only strings give no tokens', async (t) => {
  t.same(tokenize(''), []);
  t.same(tokenize('   '), []);
  t.same(tokenize(' . , ! '), []);
  t.equal(normalize(''), '');
});
