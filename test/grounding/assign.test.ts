// The grounding rule on hand-computed attention maps and boxes.
import t from 'tap';
import { assignGrounding, attentionInBox, boxCellWeights } from '../../src/grounding/assign.ts';
import { shownDetections, toApiDetection, DISPLAY_LIMIT } from '../../src/grounding/detections.ts';

/** An h×w map, zero but for the given cells (row, col, value), flattened row-major. */
function map(h: number, w: number, cells: [number, number, number][]): Float32Array {
  const a = new Float32Array(h * w);
  for (const [r, c, v] of cells) a[r * w + c] = v;
  return a;
}

t.test('a box rasterised onto the grid: each cell weighs the share of its area inside the box', async (t) => {
  // 2×2 grid, cells 0.5 wide: the centred half-size box covers a quarter of every cell.
  t.same([...boxCellWeights({ x1: 0.25, y1: 0.25, x2: 0.75, y2: 0.75 }, 2, 2)], [0.25, 0.25, 0.25, 0.25]);
  // The left half of the image: the left column whole, the right column not at all.
  t.same([...boxCellWeights({ x1: 0, y1: 0, x2: 0.5, y2: 1 }, 2, 2)], [1, 0, 1, 0]);
  // Corners given the wrong way round and outside the image are ordered and clipped.
  t.same([...boxCellWeights({ x1: 1.4, y1: 1, x2: 0.5, y2: -3 }, 2, 2)], [0, 1, 0, 1]);
  // 2 rows × 4 columns: x 0.125–0.5 covers half of column 0 and all of 1; y 0–0.25 half of row 0.
  t.same([...boxCellWeights({ x1: 0.125, y1: 0, x2: 0.5, y2: 0.25 }, 2, 4)], [0.25, 0.5, 0, 0, 0, 0, 0, 0]);
});

t.test('attention mass in a box: Σ α · cell weight', async (t) => {
  const alpha = map(4, 4, [[0, 0, 0.5], [3, 3, 0.5]]);
  t.equal(attentionInBox(alpha, { x1: 0, y1: 0, x2: 0.5, y2: 0.5 }, 4, 4), 0.5, 'top-left quarter holds one peak');
  t.equal(attentionInBox(alpha, { x1: 0, y1: 0, x2: 1, y2: 1 }, 4, 4), 1, 'the whole image holds all of it');
  // A box inside cell (0, 0) (0–0.25 each way): 0.1 × 0.1 of its 0.25 × 0.25 area = 0.16 of 0.5.
  t.ok(Math.abs(attentionInBox(alpha, { x1: 0.1, y1: 0.1, x2: 0.2, y2: 0.2 }, 4, 4) - 0.08) < 1e-7, 'a box smaller than a cell still gets its share');
  t.equal(attentionInBox(alpha, { x1: 0.3, y1: 0.3, x2: 0.7, y2: 0.7 }, 4, 4), 0, 'nothing where nothing was attended');
  t.throws(() => attentionInBox(new Float32Array(15), { x1: 0, y1: 0, x2: 1, y2: 1 }, 4, 4), /15 cells.*4×4 needs 16/);
});

t.test('each object word takes the detection of its category that holds most of its attention', async (t) => {
  const grid = { h: 4, w: 4 };
  const detections = [
    { category: 'person', x1: 0, y1: 0, x2: 0.5, y2: 1 }, // left person, best score (listed first)
    { category: 'person', x1: 0.5, y1: 0, x2: 1, y2: 1 }, // right person
    { category: 'bicycle', x1: 0.25, y1: 0.5, x2: 0.75, y2: 1 },
  ];
  const right = map(4, 4, [[1, 3, 0.7], [2, 0, 0.3]]); // mostly on the right person
  const words = [
    { word: 'a', alpha: right },
    { word: 'Man', alpha: right },
    { word: 'rides', alpha: right },
    { word: 'bike', alpha: map(4, 4, [[3, 1, 1]]) },
    { word: 'with', alpha: right },
    { word: 'dog', alpha: right },
  ];
  const out = assignGrounding(words, detections, grid);
  t.equal(out[0], undefined, '"a" names no category');
  t.same(out[1], { category: 'person', detection: 1, attentionMass: 0.7 }, '"man" → the right person (0.7 of α), not the better-scored left one (0.3)');
  t.equal(out[2], undefined);
  // Cell (3, 1) spans x 0.25–0.5, y 0.75–1: wholly inside the bicycle box.
  t.same(out[3], { category: 'bicycle', detection: 2, attentionMass: 1 });
  t.same(out[5], { category: 'dog', grounded: false, reason: 'not_detected' }, 'no dog detected');
  t.same(assignGrounding(words.slice(5), [], grid), [{ category: 'dog', grounded: false, reason: 'not_detected' }], 'no detections at all');
});

t.test('equal mass: the better-scored (earlier) detection wins', async (t) => {
  const boxes = [{ category: 'dog', x1: 0, y1: 0, x2: 0.5, y2: 1 }, { category: 'dog', x1: 0.5, y1: 0, x2: 1, y2: 1 }];
  const even = map(2, 2, [[0, 0, 0.25], [1, 0, 0.25], [0, 1, 0.25], [1, 1, 0.25]]);
  t.same(assignGrounding([{ word: 'dogs', alpha: even }], boxes, { h: 2, w: 2 }), [{ category: 'dog', detection: 0, attentionMass: 0.5 }]);
});

t.test('shown detections: above the threshold, clipped, best first, capped; boxes in image pixels', async (t) => {
  const raw = [
    { classIndex: 16, score: 0.35, x1: 0.5, y1: 0.25, x2: 1.2, y2: 0.75 }, // dog, spills over the right edge
    { classIndex: 0, score: 0.9, x1: 0.1, y1: 0.1, x2: 0.4, y2: 0.9 },
    { classIndex: 2, score: 0.19, x1: 0, y1: 0, x2: 1, y2: 1 }, // below the threshold
    { classIndex: 2, score: 0.5, x1: 0.3, y1: 0.3, x2: 0.3, y2: 0.6 }, // empty box
  ];
  const shown = shownDetections(raw);
  t.same(shown.map((d) => d.category), ['person', 'dog']);
  t.equal(shown[1].x2, 1, 'clipped to the image');
  t.same(toApiDetection(shown[1], 640, 480), { category: 'dog', score: 0.35, box: { x: 320, y: 120, w: 320, h: 240 } });
  const many = Array.from({ length: 50 }, (_, i) => ({ classIndex: i, score: 0.3 + i / 100, x1: 0, y1: 0, x2: 1, y2: 1 }));
  const capped = shownDetections(many);
  t.equal(capped.length, DISPLAY_LIMIT);
  t.equal(capped[0].score, 0.79, 'the best kept');
});
