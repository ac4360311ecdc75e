// ImageNet-1k class → the plain words a caption would use for it ("Labrador retriever" → dog,
// "airliner" → plane). Used to check a caption against the encoder's own top classes.
//
// The table lists class-index ranges (inclusive) whose caption word is not simply the class's
// name; every other class maps to the last word of its first synonym, lower-cased ("tiger shark"
// → shark, "acoustic guitar" → guitar). The first word of each entry names the subject in
// warnings; the others are accepted synonyms.
const TABLE: [from: number, to: number, words: string[]][] = [
  [0, 1, ['fish']], [5, 6, ['fish', 'ray']], [389, 397, ['fish']],
  [7, 24, ['bird']], [80, 100, ['bird', 'duck', 'goose']], [127, 144, ['bird']], [146, 146, ['bird']],
  [145, 145, ['penguin', 'bird']], [30, 32, ['frog']], [33, 37, ['turtle']], [38, 48, ['lizard']],
  [49, 50, ['crocodile', 'alligator']], [52, 68, ['snake']], [72, 77, ['spider']],
  [147, 148, ['whale']], [149, 150, ['seal', 'sea lion']],
  [151, 268, ['dog', 'puppy', 'dogs']], [269, 272, ['wolf', 'dog']], [273, 275, ['dog']], [277, 280, ['fox']],
  [281, 285, ['cat', 'kitten']], [286, 287, ['cat']], [288, 290, ['leopard', 'cat']],
  [294, 297, ['bear']], [300, 307, ['beetle', 'bug', 'insect']], [321, 326, ['butterfly']],
  [330, 332, ['rabbit', 'bunny']], [335, 335, ['squirrel']], [339, 339, ['horse', 'pony']],
  [341, 343, ['pig']], [344, 344, ['hippo']], [345, 345, ['cow', 'ox', 'cattle']], [346, 347, ['buffalo', 'bison', 'cow']],
  [348, 349, ['sheep', 'ram']], [350, 350, ['goat']], [351, 353, ['antelope', 'deer']], [354, 354, ['camel']],
  [365, 382, ['monkey', 'ape']], [385, 386, ['elephant']], [387, 388, ['panda', 'bear']],
  [403, 403, ['ship', 'boat']], [404, 404, ['plane', 'airplane', 'jet', 'aircraft']], [405, 405, ['airship', 'blimp']],
  [407, 407, ['ambulance', 'truck']], [429, 429, ['baseball', 'ball']], [430, 430, ['basketball', 'ball']],
  [436, 436, ['car']], [444, 444, ['bicycle', 'bike']], [466, 466, ['train']], [468, 468, ['taxi', 'car', 'cab']],
  [472, 472, ['canoe', 'boat', 'kayak']], [479, 479, ['car', 'wheel']], [484, 484, ['boat', 'catamaran']],
  [510, 510, ['ship', 'boat']], [511, 511, ['car']], [514, 514, ['boots', 'boot']], [515, 515, ['hat']],
  [518, 518, ['helmet']], [532, 532, ['table']], [547, 547, ['train']], [555, 555, ['truck', 'fire']],
  [560, 560, ['helmet', 'football']], [565, 565, ['train']], [569, 569, ['truck']], [573, 573, ['kart', 'car', 'cart']],
  [576, 576, ['boat', 'gondola']], [603, 603, ['horse', 'cart', 'carriage']], [608, 608, ['jeans']],
  [609, 609, ['jeep', 'car']], [610, 610, ['shirt', 'jersey']], [620, 620, ['laptop', 'computer']],
  [627, 627, ['car', 'limousine']], [628, 628, ['ship', 'boat']], [652, 652, ['uniform']], [654, 654, ['bus']],
  [656, 656, ['van', 'car']], [665, 665, ['motorcycle', 'scooter', 'bike']], [670, 670, ['scooter', 'motorcycle']],
  [671, 671, ['bike', 'bicycle']], [672, 672, ['tent']], [675, 675, ['van', 'truck']], [703, 703, ['bench']],
  [705, 705, ['train']], [717, 717, ['truck']], [724, 724, ['ship', 'boat']], [734, 734, ['van', 'police']],
  [751, 751, ['car']], [757, 757, ['camper', 'van']], [768, 768, ['ball', 'rugby']], [770, 770, ['shoes', 'sneakers']],
  [779, 779, ['bus']], [780, 780, ['boat', 'sailboat']], [795, 795, ['skis', 'ski', 'skiing', 'skier']],
  [802, 802, ['snowmobile']], [805, 805, ['ball', 'soccer']], [814, 814, ['boat']], [817, 817, ['car']],
  [820, 820, ['train']], [829, 829, ['tram', 'train', 'trolley']], [837, 837, ['sunglasses']],
  [842, 842, ['trunks', 'swimsuit', 'swimming']], [850, 850, ['teddy', 'bear']], [852, 852, ['ball', 'tennis']],
  [864, 864, ['truck']], [867, 867, ['truck']], [870, 870, ['tricycle', 'bike']], [874, 874, ['bus']],
  [890, 890, ['volleyball', 'ball']], [895, 895, ['plane', 'airplane', 'jet']], [908, 908, ['plane', 'airplane', 'wing']],
  [919, 919, ['sign']], [920, 920, ['light', 'traffic']], [933, 933, ['burger', 'hamburger', 'sandwich']],
  [934, 934, ['hotdog', 'hot dog', 'sandwich']], [963, 963, ['pizza']], [970, 970, ['mountain', 'mountains']],
  [972, 972, ['cliff', 'rock']], [975, 975, ['lake']], [977, 977, ['beach', 'sand']], [978, 978, ['beach', 'ocean', 'shore']],
  [979, 979, ['valley', 'mountains']], [980, 980, ['mountain', 'volcano']], [981, 981, ['baseball', 'player']],
  [982, 982, ['man', 'groom']], [983, 983, ['diver', 'scuba']],
  [578, 578, ['dress', 'gown']], [601, 601, ['dress', 'skirt']], [655, 655, ['skirt', 'dress']], [896, 896, ['sink']],
  [928, 929, ['ice cream', 'popsicle', 'lollipop']],
];

/** The caption words for an ImageNet class (index 0..999, label as in imagenet-labels.json). */
export function classWords(index: number, label: string): string[] {
  for (const [from, to, words] of TABLE) if (index >= from && index <= to) return words;
  const first = label.split(',')[0].trim().toLowerCase();
  return [first.split(/\s+/).at(-1) ?? first];
}
