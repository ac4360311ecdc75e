// Which caption words name which COCO object category: the pointing game
// (src/eval/grounding/pointing.ts), the hallucination metrics (src/eval/grounding/chair.ts), the
// decoding's grounding rules (src/decoding/grounding.ts) and the service's word grounding (assign.ts).
//
// The rule: a word counts only when it names the object itself, in the singular or plural
// (dog, dogs, puppy, terrier and the other breeds → dog; man, woman, boy, people, skier → person; van, jeep, taxi → car; ship,
// yacht → boat). Words for parts, groups of unclear extent, places or actions are left out (hand,
// crowd, field, street, riding), and so are words that name two categories or a COCO and a
// non-COCO thing (bat: animal or baseball bat; "sign"; "glass"; "mouse": animal or computer;
// "scooter": kick scooter or motor scooter; "monitor"; "plant").
// Every one of the 80 categories is listed. Those that captions only name with two words are
// matched as phrases (PHRASES: "stop sign", "parking meter", "hot dog", "teddy bear", "wine
// glass", …), which take precedence over their single words ("hot dog" is not a dog); a few have
// no single word at all (stop sign, parking meter, baseball bat, mouse, hair drier).
// The list was written from the COCO category names, the Flickr8k training vocabulary and common
// caption words (the synonym lists of Rohrbach et al. 2018 in spirit), not tuned on any results.
export const CATEGORY_WORDS: Readonly<Record<string, readonly string[]>> = {
  person: [
    'man', 'men', 'woman', 'women', 'boy', 'boys', 'girl', 'girls', 'person', 'people', 'persons', 'child', 'children', 'kid', 'kids',
    'baby', 'babies', 'toddler', 'toddlers', 'guy', 'guys', 'lady', 'ladies', 'player', 'players', 'adult', 'adults', 'teenager',
    'teenagers', 'teen', 'teens', 'skier', 'skiers', 'surfer', 'surfers', 'skateboarder', 'skateboarders', 'snowboarder',
    'snowboarders', 'biker', 'bikers', 'cyclist', 'cyclists', 'rider', 'riders', 'climber', 'climbers', 'swimmer', 'swimmers',
    'dancer', 'dancers', 'runner', 'runners', 'couple', 'gentleman', 'skater', 'skaters', 'batter', 'catcher', 'pitcher', 'motorcyclist', 'motorcyclists',
  ],
  bicycle: ['bicycle', 'bicycles', 'bike', 'bikes'],
  car: ['car', 'cars', 'van', 'vans', 'jeep', 'jeeps', 'suv', 'suvs', 'taxi', 'taxis', 'cab', 'cabs', 'automobile', 'automobiles', 'sedan', 'minivan'],
  motorcycle: ['motorcycle', 'motorcycles', 'motorbike', 'motorbikes', 'dirtbike'],
  airplane: ['airplane', 'airplanes', 'plane', 'planes', 'jet', 'jets', 'aircraft'],
  bus: ['bus', 'buses'],
  train: ['train', 'trains'],
  truck: ['truck', 'trucks', 'firetruck', 'firetrucks', 'pickup', 'lorry'],
  boat: ['boat', 'boats', 'canoe', 'canoes', 'kayak', 'kayaks', 'raft', 'rafts', 'sailboat', 'sailboats', 'ship', 'ships', 'yacht', 'yachts', 'ferry'],
  'traffic light': ['stoplight', 'stoplights'],
  'stop sign': [],
  'parking meter': [],
  'fire hydrant': ['hydrant', 'hydrants'],
  bench: ['bench', 'benches'],
  bird: ['bird', 'birds', 'duck', 'ducks', 'seagull', 'seagulls', 'goose', 'geese', 'pigeon', 'pigeons'],
  cat: ['cat', 'cats', 'kitten', 'kittens', 'kitty'],
  dog: [
    'dog', 'dogs', 'puppy', 'puppies', 'poodle', 'poodles', 'terrier', 'terriers', 'greyhound', 'greyhounds', 'collie', 'collies',
    'dalmatian', 'dalmatians', 'labrador', 'labradors', 'retriever', 'retrievers', 'pitbull', 'pitbulls', 'beagle', 'beagles',
    'dachshund', 'dachshunds', 'husky', 'huskies', 'doberman', 'hound', 'hounds', 'chihuahua', 'bulldog', 'bulldogs', 'spaniel', 'spaniels',
  ],
  horse: ['horse', 'horses', 'pony', 'ponies'],
  sheep: ['sheep', 'lamb', 'lambs'],
  cow: ['cow', 'cows', 'cattle', 'bull', 'bulls', 'calf'],
  elephant: ['elephant', 'elephants'],
  bear: ['bear', 'bears'],
  zebra: ['zebra', 'zebras'],
  giraffe: ['giraffe', 'giraffes'],
  backpack: ['backpack', 'backpacks'],
  umbrella: ['umbrella', 'umbrellas'],
  handbag: ['handbag', 'handbags', 'purse', 'purses'],
  tie: ['tie', 'ties', 'necktie'],
  suitcase: ['suitcase', 'suitcases', 'luggage'],
  frisbee: ['frisbee', 'frisbees'],
  skis: ['skis'],
  'baseball bat': [],
  snowboard: ['snowboard', 'snowboards'],
  'sports ball': ['ball', 'balls', 'football', 'soccerball', 'basketball', 'volleyball', 'baseball', 'softball'],
  kite: ['kite', 'kites'],
  'baseball glove': ['glove', 'mitt'],
  skateboard: ['skateboard', 'skateboards'],
  surfboard: ['surfboard', 'surfboards'],
  'tennis racket': ['racket', 'rackets', 'racquet', 'racquets'],
  bottle: ['bottle', 'bottles'],
  'wine glass': ['wineglass', 'wineglasses'],
  cup: ['cup', 'cups', 'mug', 'mugs'],
  fork: ['fork', 'forks'],
  knife: ['knife', 'knives'],
  spoon: ['spoon', 'spoons'],
  bowl: ['bowl', 'bowls'],
  banana: ['banana', 'bananas'],
  apple: ['apple', 'apples'],
  sandwich: ['sandwich', 'sandwiches', 'burger', 'burgers', 'hamburger', 'hamburgers'],
  orange: ['oranges'],
  broccoli: ['broccoli'],
  carrot: ['carrot', 'carrots'],
  'hot dog': ['hotdog', 'hotdogs'],
  pizza: ['pizza', 'pizzas'],
  donut: ['donut', 'donuts', 'doughnut', 'doughnuts'],
  cake: ['cake', 'cakes'],
  chair: ['chair', 'chairs'],
  couch: ['couch', 'couches', 'sofa', 'sofas'],
  'potted plant': ['houseplant', 'houseplants'],
  bed: ['bed', 'beds'],
  'dining table': ['table', 'tables'],
  toilet: ['toilet', 'toilets'],
  tv: ['tv', 'tvs', 'television', 'televisions'],
  laptop: ['laptop', 'laptops', 'computer', 'computers'],
  mouse: [],
  remote: ['remote', 'remotes'],
  keyboard: ['keyboard', 'keyboards'],
  'cell phone': ['cellphone', 'cellphones', 'phone', 'phones'],
  microwave: ['microwave', 'microwaves'],
  oven: ['oven', 'ovens', 'stove', 'stoves'],
  sink: ['sink', 'sinks'],
  refrigerator: ['refrigerator', 'refrigerators', 'fridge', 'fridges'],
  toaster: ['toaster', 'toasters'],
  book: ['book', 'books'],
  clock: ['clock', 'clocks'],
  vase: ['vase', 'vases'],
  scissors: ['scissors'],
  'teddy bear': ['teddy', 'teddies'],
  'hair drier': ['hairdryer', 'hairdryers'],
  toothbrush: ['toothbrush', 'toothbrushes'],
};

/** Two-word names, matched before single words ("hot dog" is a hot dog, not a dog). */
export const PHRASES: Readonly<Record<string, string>> = {
  'stop sign': 'stop sign', 'stop signs': 'stop sign',
  'parking meter': 'parking meter', 'parking meters': 'parking meter',
  'traffic light': 'traffic light', 'traffic lights': 'traffic light',
  'fire hydrant': 'fire hydrant', 'fire hydrants': 'fire hydrant',
  'baseball bat': 'baseball bat', 'baseball bats': 'baseball bat',
  'baseball glove': 'baseball glove', 'baseball gloves': 'baseball glove', 'baseball mitt': 'baseball glove',
  'tennis racket': 'tennis racket', 'tennis rackets': 'tennis racket', 'tennis racquet': 'tennis racket',
  'wine glass': 'wine glass', 'wine glasses': 'wine glass',
  'hot dog': 'hot dog', 'hot dogs': 'hot dog',
  'teddy bear': 'teddy bear', 'teddy bears': 'teddy bear',
  'hair drier': 'hair drier', 'hair dryer': 'hair drier', 'hair driers': 'hair drier', 'hair dryers': 'hair drier',
  'cell phone': 'cell phone', 'cell phones': 'cell phone', 'mobile phone': 'cell phone',
  'potted plant': 'potted plant', 'potted plants': 'potted plant', 'house plant': 'potted plant',
  'dining table': 'dining table', 'dining tables': 'dining table',
  'computer mouse': 'mouse',
  'sports ball': 'sports ball', 'soccer ball': 'sports ball', 'tennis ball': 'sports ball',
};

const WORD_TO_CATEGORY = new Map<string, string>(Object.entries(CATEGORY_WORDS).flatMap(([cat, words]) => words.map((w) => [w, cat] as [string, string])));

const IRREGULAR_PLURALS = new Set(['men', 'women', 'people', 'children', 'geese', 'mice']);

/**
 * Whether an object word is plural: an irregular plural, or -s / -es / -ies of another word of its
 * category ("buses", "ladies"; "sheep" is not, its list has no "shee").
 */
export function isPluralObjectWord(word: string): boolean {
  const list = CATEGORY_WORDS[categoryOf(word) ?? ''];
  if (!list) return false;
  const stems = [word.slice(0, -1), word.endsWith('es') ? word.slice(0, -2) : '', word.endsWith('ies') ? `${word.slice(0, -3)}y` : ''];
  return IRREGULAR_PLURALS.has(word) || (word.endsWith('s') && stems.some((x) => x && list.includes(x)));
}

/** The COCO category a caption word (or two-word name: "stop sign") names, if any (lower case). */
export function categoryOf(word: string): string | undefined {
  return WORD_TO_CATEGORY.get(word) ?? PHRASES[word];
}

/** An object mention in a caption: `length` words from `index` name `category`. */
export interface Mention {
  index: number;
  length: 1 | 2;
  category: string;
}

/** The object mentions of a tokenised, lower-case caption, left to right (phrases first). */
export function objectMentions(words: readonly string[]): Mention[] {
  const out: Mention[] = [];
  for (let i = 0; i < words.length; i++) {
    const phrase = i + 1 < words.length ? PHRASES[`${words[i]} ${words[i + 1]}`] : undefined;
    if (phrase) {
      out.push({ index: i, length: 2, category: phrase });
      i++;
      continue;
    }
    const category = categoryOf(words[i]);
    if (category) out.push({ index: i, length: 1, category });
  }
  return out;
}
