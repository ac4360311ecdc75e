import t from 'tap';
import { END_ID, PAD_ID, SPECIALS, START_ID, UNK, UNK_ID, Vocabulary } from '../../src/data/vocab.ts';

const repeat = (w: string, n: number) => Array.from({ length: n }, () => [w]);

t.test('build keeps words seen >= minCount times, drops the rest', async (t) => {
  const v = Vocabulary.build([...repeat('five', 5), ...repeat('four', 4), ...repeat('six', 6)]);
  t.same(v.words, [...SPECIALS, 'six', 'five']);
  t.equal(v.id('four'), UNK_ID);
  t.same(Vocabulary.build(repeat('four', 4), 4).words.slice(4), ['four'], 'custom threshold');
});

t.test('specials first with fixed ids 0..3', async (t) => {
  const v = Vocabulary.build([]);
  t.same(v.words, ['<pad>', '<start>', '<end>', '<unk>']);
  t.same([v.id('<pad>'), v.id('<start>'), v.id('<end>'), v.id('<unk>')], [PAD_ID, START_ID, END_ID, UNK_ID]);
  t.same([PAD_ID, START_ID, END_ID, UNK_ID], [0, 1, 2, 3]);
});

t.test('order is deterministic: frequency descending, ties alphabetical, independent of input order', async (t) => {
  const data = [...repeat('b', 5), ...repeat('a', 5), ...repeat('c', 7)];
  const v1 = Vocabulary.build(data);
  const v2 = Vocabulary.build([...data].reverse());
  t.same(v1.words.slice(4), ['c', 'a', 'b']);
  t.same(v2.words, v1.words);
});

t.test('encode/decode round trip with <unk>', async (t) => {
  const v = Vocabulary.build([...repeat('dog', 5), ...repeat('runs', 5)]);
  const ids = v.encode(['dog', 'zebra', 'runs']);
  t.same(ids, [START_ID, v.id('dog'), UNK_ID, v.id('runs'), END_ID]);
  t.same(v.decode(ids), ['dog', UNK, 'runs']);
  t.same(v.decode(v.encode(['dog', 'runs'])), ['dog', 'runs']);
});

t.test('decode stops at <end> and skips <pad>/<start>', async (t) => {
  const v = Vocabulary.build([...repeat('dog', 5), ...repeat('cat', 5)]);
  t.same(v.decode([START_ID, v.id('cat'), END_ID, v.id('dog'), PAD_ID]), ['cat']);
  t.same(v.decode([PAD_ID, v.id('dog'), PAD_ID]), ['dog']);
});

t.test('JSON round trip; fromJSON rejects a vocabulary without the specials', async (t) => {
  const v = Vocabulary.build(repeat('dog', 5));
  t.same(Vocabulary.fromJSON(JSON.parse(JSON.stringify(v))).words, v.words);
  t.throws(() => Vocabulary.fromJSON({ words: ['a', 'b', 'c', 'd', 'e'] }), /must start with <pad>/);
  t.throws(() => Vocabulary.fromJSON({ words: ['<start>', '<pad>', '<end>', '<unk>'] }), /must start with/);
  t.throws(() => Vocabulary.fromJSON({ words: ['dog'] }));
  t.throws(() => Vocabulary.fromJSON({}));
});
