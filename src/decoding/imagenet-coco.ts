// Which ImageNet-1k classes (the encoder's own classifier) are an instance of a COCO category:
// the grounding rules take the encoder's probability for them as evidence that the category is in
// the photo (zebra 0.98 → "zebra" may be said; 120 dog breeds → dog).
//
// Written from the class names in models/imagenet-labels.json, not from any results. A class is
// listed only when every picture of it shows the COCO object (a breed, a model, a kind: tabby →
// cat, minivan → car, goblet → wine glass) or a part that cannot be seen without it (car wheel →
// car, airplane wing → airplane). Left out: classes that are only sometimes the object or belong
// to two categories (ambulance: car or truck; street sign; tricycle; desk; plate) and wild
// relatives COCO does not include (wolf, bison, bighorn, leopard). ImageNet's "kite" (index 21)
// is a bird of prey: a bird, never the COCO kite.
import { COCO_CATEGORIES, type CocoCategory } from '../detector/types.ts';

const RANGES: [from: number, to: number, category: CocoCategory][] = [
  // animals
  [7, 24, 'bird'], [80, 100, 'bird'], [127, 146, 'bird'],
  [151, 268, 'dog'], // the 120 dog breeds
  [281, 285, 'cat'], // tabby, tiger cat, Persian, Siamese, Egyptian cat
  [294, 297, 'bear'], [339, 339, 'horse'], [340, 340, 'zebra'], [345, 345, 'cow'], [348, 348, 'sheep'],
  [101, 101, 'elephant'], [385, 386, 'elephant'], [850, 850, 'teddy bear'],
  // people: the three ImageNet classes that are a person
  [981, 983, 'person'],
  // vehicles
  [404, 404, 'airplane'], [895, 895, 'airplane'], [908, 908, 'airplane'],
  [444, 444, 'bicycle'], [671, 671, 'bicycle'],
  [436, 436, 'car'], [468, 468, 'car'], [475, 475, 'car'], [479, 479, 'car'], [511, 511, 'car'], [581, 581, 'car'],
  [609, 609, 'car'], [627, 627, 'car'], [656, 656, 'car'], [661, 661, 'car'], [751, 751, 'car'], [817, 817, 'car'],
  [665, 665, 'motorcycle'], [670, 670, 'motorcycle'],
  [654, 654, 'bus'], [779, 779, 'bus'], [874, 874, 'bus'],
  [466, 466, 'train'], [547, 547, 'train'], [565, 565, 'train'], [705, 705, 'train'], [820, 820, 'train'], [829, 829, 'train'],
  [555, 555, 'truck'], [569, 569, 'truck'], [675, 675, 'truck'], [717, 717, 'truck'], [864, 864, 'truck'], [867, 867, 'truck'],
  [472, 472, 'boat'], [484, 484, 'boat'], [510, 510, 'boat'], [554, 554, 'boat'], [576, 576, 'boat'], [625, 625, 'boat'],
  [628, 628, 'boat'], [724, 724, 'boat'], [780, 780, 'boat'], [814, 814, 'boat'], [871, 871, 'boat'], [914, 914, 'boat'],
  // street
  [920, 920, 'traffic light'], [704, 704, 'parking meter'], [703, 703, 'bench'],
  // things people carry and play with
  [414, 414, 'backpack'], [879, 879, 'umbrella'], [748, 748, 'handbag'], [457, 457, 'tie'], [906, 906, 'tie'],
  [795, 795, 'skis'], [752, 752, 'tennis racket'],
  [429, 430, 'sports ball'], [522, 522, 'sports ball'], [574, 574, 'sports ball'], [722, 722, 'sports ball'],
  [768, 768, 'sports ball'], [805, 805, 'sports ball'], [852, 852, 'sports ball'], [890, 890, 'sports ball'],
  // kitchen and food
  [440, 440, 'bottle'], [720, 720, 'bottle'], [737, 737, 'bottle'], [898, 898, 'bottle'], [907, 907, 'bottle'],
  [572, 572, 'wine glass'], [966, 966, 'wine glass'], [504, 504, 'cup'], [968, 968, 'cup'], [910, 910, 'spoon'],
  [659, 659, 'bowl'], [809, 809, 'bowl'], [954, 954, 'banana'], [948, 948, 'apple'], [933, 933, 'sandwich'],
  [950, 950, 'orange'], [937, 937, 'broccoli'], [934, 934, 'hot dog'], [963, 963, 'pizza'],
  // furniture and appliances
  [423, 423, 'chair'], [559, 559, 'chair'], [765, 765, 'chair'], [831, 831, 'couch'], [738, 738, 'potted plant'],
  [564, 564, 'bed'], [532, 532, 'dining table'], [861, 861, 'toilet'], [851, 851, 'tv'], [782, 782, 'tv'], [664, 664, 'tv'],
  [620, 620, 'laptop'], [681, 681, 'laptop'], [673, 673, 'mouse'], [761, 761, 'remote'], [508, 508, 'keyboard'],
  [878, 878, 'keyboard'], [487, 487, 'cell phone'], [651, 651, 'microwave'], [827, 827, 'oven'], [859, 859, 'toaster'],
  [896, 896, 'sink'], [760, 760, 'refrigerator'], [921, 921, 'book'], [409, 409, 'clock'], [530, 530, 'clock'],
  [892, 892, 'clock'], [883, 883, 'vase'], [589, 589, 'hair drier'],
];

/** COCO category index (into COCO_CATEGORIES) of each of the 1000 ImageNet classes, -1 for none. */
export const IMAGENET_TO_COCO: Int8Array = (() => {
  const out = new Int8Array(1000).fill(-1);
  for (const [from, to, cat] of RANGES) {
    const c = COCO_CATEGORIES.indexOf(cat);
    for (let i = from; i <= to; i++) {
      if (out[i] !== -1) throw new Error(`imagenet-coco: class ${i} listed twice`);
      out[i] = c;
    }
  }
  return out;
})();

/**
 * Per COCO category, the encoder's probability that the photo shows it: Σ p(class) over its
 * ImageNet classes (`classes`: index and softmax probability, e.g. the top-k).
 */
export function imagenetSupport(classes: readonly { index: number; score: number }[]): Float32Array {
  const out = new Float32Array(COCO_CATEGORIES.length);
  for (const { index, score } of classes) {
    const c = IMAGENET_TO_COCO[index] ?? -1;
    if (c >= 0) out[c] += score;
  }
  return out;
}
