// The detector tests' real inputs in ../shared (override: SHARED_DIR): the TF.js graph models and
// coco-mini-train's photos with their COCO boxes.
import { existsSync } from 'node:fs';
import { SHARED_DIR, SHARED_MODELS } from '../helpers/shared-dir.ts';

/** Holds detector/centernet.{json,bin}: a models folder for Detector.load. */
export const DETECTOR_MODELS = SHARED_MODELS;
export const CENTERNET_JSON = `${SHARED_MODELS}/detector/centernet.json`;
export const COCO_MINI = `${SHARED_DIR}/data/coco-mini-train`;

/** tap `skip` option: false when the detector and the photos are there, else the reason. */
export const skipWithoutDetector: string | false =
  existsSync(CENTERNET_JSON) && existsSync(`${COCO_MINI}/instances_train2017.json`)
    ? false
    : `detector or photos not found (${CENTERNET_JSON}, ${COCO_MINI}): set SHARED_DIR to the folder holding models/detector and data/coco-mini-train`;
