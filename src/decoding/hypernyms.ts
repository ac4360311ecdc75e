// Generic words the decoder falls back on when it cannot name a thing ("a large brown and white
// animal", "a large vehicle"), and the COCO categories each stands for: COCO's own supercategories
// (instances files, `supercategory`), so the list is the dataset's, not tuned on results. When the
// evidence is confident about one of those categories, the search moves the generic word's
// probability onto that category's word: Neural Baby Talk's refinement of a slot word to the
// detected class (Lu et al., CVPR 2018), done inside the search so the rest of the sentence follows.
import { CATEGORY_WORDS, isPluralObjectWord } from '../grounding/categories.ts';

const ANIMAL = ['bird', 'cat', 'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe'];
const VEHICLE = ['bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat'];
const FOOD = ['banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake'];

/** generic word → [its COCO categories, whether the word is plural] */
export const HYPERNYMS: Readonly<Record<string, readonly [readonly string[], boolean]>> = {
  animal: [ANIMAL, false], animals: [ANIMAL, true], creature: [ANIMAL, false], creatures: [ANIMAL, true],
  vehicle: [VEHICLE, false], vehicles: [VEHICLE, true],
  food: [FOOD, false], fruit: [['banana', 'apple', 'orange'], false],
};

/**
 * What an unbacked animal word becomes (`generalise` in grounding.ts): "animal" is what people call
 * any animal they cannot name, while nobody calls a bicycle a "vehicle" or a banana "food" (on
 * Flickr8k dev, generalising those too turned "a man rides a motorcycle" into "a man rides a vehicle").
 * The generic word for a category in the given number ("dog" → "animal", plural → "animals");
 * undefined when none.
 */
export function genericWord(category: string, plural: boolean): string | undefined {
  if (!ANIMAL.includes(category)) return undefined;
  return plural ? 'animals' : 'animal';
}

/** The categories a generic word stands for ("animal" → the ten COCO animals). */
export const GENERIC_CATEGORIES: readonly string[] = ANIMAL;

/**
 * The vocabulary word that names `category` in the given number: the category's first listed
 * singular word in the vocabulary (its plainest name; never a plural, so "food" does not become
 * "hamburgers" in a vocabulary without "sandwich") and for plurals that word + s / es, or the word
 * itself ("sheep").
 */
export function categoryWord(category: string, plural: boolean, id: (word: string) => number | undefined): number | undefined {
  const words = CATEGORY_WORDS[category] ?? [];
  const known = words.filter((w) => id(w) !== undefined);
  const singular = known.find((w) => !isPluralObjectWord(w));
  if (!plural) return singular === undefined ? undefined : id(singular);
  // A category known only in the plural ("hamburgers") is still named in the plural.
  const form = singular === undefined ? known[0] : [`${singular}s`, `${singular}es`, singular].find((w) => known.includes(w));
  return form === undefined ? undefined : id(form);
}
