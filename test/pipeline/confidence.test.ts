// Confidence and warnings with the detector's evidence: hand-made detections and groundings.
import t from 'tap';
import { assess, calibrate, calibrateWith, NAMED_SCORE, objectInputs, type ObjectEvidence } from '../../src/pipeline/confidence.ts';
import type { Detection, Grounding } from '../../src/service/schemas.ts';

const box = { x: 10, y: 10, w: 50, h: 50 };
const det = (category: Detection['category'], score: number): Detection => ({ category, score, box });
const grounded = (category: Detection['category'], detection: number, score: number): Grounding => ({ category, box, score, detection, attentionMass: 0.5 });
const missing = (category: Detection['category']): Grounding => ({ category, grounded: false, reason: 'not_detected' });
const vocab = new Set(['a', 'man', 'dog', 'is', 'riding', 'bike', 'bicycle', 'runs', 'with', 'ball']);
const has = (w: string) => vocab.has(w);

t.test('the detector\'s inputs: unsupported object words (share), the best confident detection left unnamed', async (t) => {
  // "a man is riding a dog": man grounded, dog not detected; a bicycle at 0.8 and a car at 0.3 unnamed.
  const o: ObjectEvidence = {
    detections: [det('bicycle', 0.8), det('person', 0.7), det('car', 0.3)],
    groundings: [undefined, grounded('person', 1, 0.7), undefined, undefined, undefined, missing('dog')],
  };
  const { unsupported, missed, unnamed } = objectInputs(o);
  t.equal(unsupported, 0.5, 'one of two object words has nothing detected');
  t.equal(missed, 0.8, 'the bicycle (≥ NAMED_SCORE) goes unnamed; the car is below it');
  t.same(unnamed.map((d) => d.category), ['bicycle']);
  t.same(objectInputs({ detections: [], groundings: [undefined] }), { unsupported: 0, missed: 0, unnamed: [] }, 'no object words, nothing detected');
  t.equal(NAMED_SCORE, 0.5);
});

t.test('warnings name the unsupported word and the unnamed object, and whether the model has a word for it', async (t) => {
  const o: ObjectEvidence = {
    detections: [det('zebra', 0.79), det('zebra', 0.69), det('bicycle', 0.6), det('person', 0.9)],
    groundings: [undefined, grounded('person', 3, 0.9), undefined, undefined, undefined, missing('dog')],
  };
  const a = assess('a man is riding a dog', 6, -6, [], has, false, o);
  t.ok(a.warnings.includes('possibly not in the photo: "dog" (the object detector finds no dog)'), a.warnings.join(' | '));
  t.ok(a.warnings.includes('not named: zebra (the object detector finds one, 0.79; the model has no word for it)'), 'zebra: once, its best score, no word');
  t.ok(a.warnings.includes('not named: bicycle (the object detector finds one, 0.60)'), 'bicycle: the model has "bike"');
  t.notOk(a.warnings.some((w) => /person/.test(w)), 'the named person earns no warning');
  t.same([a.unsupported, a.missed], [0.5, 0.79]);
  const none = assess('a man is riding a dog', 6, -6, [], has, false);
  t.notOk(none.warnings.some((w) => /object detector/.test(w)), 'no detector, no such warnings');
  t.equal(none.unsupported, undefined);
  t.equal(none.missed, undefined);
});

t.test('confidence: the grounded map when fitted and the detector ran, else the base map', async (t) => {
  t.equal(calibrateWith(-1, 0.5), calibrate(-1, 0.5), 'no detections: the base map');
  const clean = calibrateWith(-1, 0.5, { unsupported: 0, missed: 0 });
  const doubtful = calibrateWith(-1, 0.5, { unsupported: 1, missed: 0.9 });
  t.ok(clean >= 0 && clean <= 1 && doubtful >= 0 && doubtful <= 1);
  t.ok(doubtful <= clean, `every object word unsupported and a confident object unnamed does not raise confidence (${doubtful.toFixed(3)} ≤ ${clean.toFixed(3)})`);
});
