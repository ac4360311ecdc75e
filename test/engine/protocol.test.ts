import t from 'tap';
import { ImageTooLargeError, UnsupportedImageError } from '../../src/encoder/errors.ts';
import { ModelUnavailableError, serviceErrorStatus, WordOutOfRangeError, WorkerCrashedError } from '../../src/service/errors.ts';
import { parsePlan } from '../../src/service/options.ts';
import { fromWire, fromWireError, toWire, toWireError, transferable, WorkerReplySchema, WorkerRequestSchema } from '../../src/engine/protocol.ts';
import { CaptionOptionsSchema } from '../../src/service/schemas.ts';

const prepared = { tensor: new Float32Array([1, 2, 3]), width: 4, height: 2, format: 'png', pixels: { rgb: Buffer.from([9, 8, 7, 6, 5, 4]), width: 2, height: 1 } };

t.test('a prepared image survives the wire form, with or without its pixels', async (t) => {
  const back = fromWire(structuredClone(toWire(prepared, true)));
  t.same([...back.tensor], [1, 2, 3]);
  t.ok(Buffer.isBuffer(back.pixels!.rgb));
  t.same([...back.pixels!.rgb], [...prepared.pixels.rgb]);
  t.same({ ...back, tensor: undefined, pixels: { ...back.pixels, rgb: undefined } }, { ...prepared, tensor: undefined, pixels: { ...prepared.pixels, rgb: undefined } });
  const bare = toWire(prepared, false);
  t.equal(bare.pixels, undefined, 'no pixels sent when the worker has no use for them');
  t.equal(fromWire(bare).pixels, undefined);
  t.equal(fromWire(bare).fine, undefined);
  const fine = fromWire(structuredClone(toWire({ ...prepared, fine: new Float32Array([5, 6]) }, false)));
  t.same([...fine.fine!], [5, 6], 'the fine square (fine focus maps) goes along');
});

t.test('requests are checked against the schema the pool builds them from; the plan is taken as resolved', async (t) => {
  const plan = parsePlan({ beamSize: 1 });
  const ok = WorkerRequestSchema.parse(structuredClone({ kind: 'caption', id: 1, parts: [{ images: [toWire(prepared, false)], plan, words: true }] }));
  t.equal(ok.kind, 'caption');
  t.same(ok.kind === 'caption' && ok.parts[0].plan, plan, 'the plan as sent (not parsed again)');
  t.throws(() => WorkerRequestSchema.parse({ kind: 'caption', id: 1, parts: [{ images: [{ tensor: [1, 2] }], plan, words: false }] }));
  t.throws(() => WorkerRequestSchema.parse({ kind: 'caption', id: 1, parts: [{ images: [], words: false }] }), 'a part without a plan');
  t.throws(() => WorkerRequestSchema.parse({ kind: 'unknown' }));
});

t.test('transferable: arrays that own their buffer move, once each; views into a shared one are copied', async (t) => {
  const own = new Float32Array(4);
  const pooled = Buffer.from('abc'); // a view into Node's Buffer pool
  t.same(transferable([own, own, undefined, pooled]), [own.buffer]);
});

t.test('typed errors cross the thread boundary as the same classes', async (t) => {
  for (const err of [new UnsupportedImageError('u'), new ImageTooLargeError('l'), new ModelUnavailableError('m'), new WordOutOfRangeError('w')]) {
    const back = fromWireError(structuredClone(toWireError(err)));
    t.equal(back.constructor, err.constructor);
    t.equal(back.message, err.message);
  }
  const other = fromWireError(toWireError(new RangeError('r')));
  t.equal(other.name, 'RangeError');
});

t.test('service errors map to one status table; anything else is not the service\'s', async (t) => {
  t.same(serviceErrorStatus(new UnsupportedImageError('x')), { status: 415, code: 'unsupported_image', message: 'x', headers: {} });
  t.same(serviceErrorStatus(new ModelUnavailableError('m')), { status: 400, code: 'model_unavailable', message: 'm', headers: {} });
  t.same(serviceErrorStatus(new WorkerCrashedError('c')), { status: 503, code: 'worker_crashed', message: 'c', headers: { 'retry-after': '2' } });
  t.equal(serviceErrorStatus(new Error('bug')), undefined);
});

t.test('grounding crosses the wire typed: the option, a streamed word\'s grounding, the ready info\'s detector', async (t) => {
  const plan = parsePlan({ grounding: 'false' });
  const req = WorkerRequestSchema.parse(structuredClone({ kind: 'caption', id: 1, parts: [{ images: [], plan, words: false }] }));
  t.equal(req.kind === 'caption' && req.parts[0].plan.grounding, false, 'grounding=false reaches the worker');
  t.equal(CaptionOptionsSchema.parse({}).grounding, true, 'on by default');
  const grounded = { category: 'dog', box: { x: 1, y: 2, w: 3, h: 4 }, score: 0.8, detection: 0, attentionMass: 0.5 };
  const word = (grounding: unknown) => WorkerReplySchema.safeParse(structuredClone({ kind: 'word', id: 1, part: 0, image: 0, token: { word: 'dog', logprob: -1, beta: 0.5, grounding } }));
  t.ok(word(grounded).success, 'a grounded word');
  t.ok(word({ category: 'dog', grounded: false, reason: 'not_detected' }).success, 'a word with nothing detected');
  t.notOk(word({ ...grounded, category: 'unicorn' }).success, 'not a COCO category');
  t.notOk(word({ category: 'dog', grounded: false }).success, 'not grounded without a reason');
  const info = { encoder: { id: 'e', sha256: 's', inputSize: 448, grid: { h: 14, w: 14 }, featureDim: 1280 }, decoders: [], backend: 'onnxruntime-cpu', runtime: 'ort', default: 'soft', warnings: [] };
  const stats = { numTensors: 0, numBytes: 0, heapUsed: 1 };
  const ready = (detector: unknown) => WorkerReplySchema.safeParse({ kind: 'ready', info: { ...info, detector }, stats });
  t.ok(ready({ id: 'centernet', sha256: 'x', inputSize: 448, displayThreshold: 0.2 }).success, 'with a detector');
  t.ok(ready(null).success, 'without one');
  t.notOk(ready(undefined).success, 'the worker must say which');
});
