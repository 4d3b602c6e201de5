/**
 * The `learned` table: what detectors learned about the network (devices seen, traffic baselines), kept in
 * the database so that a later run on it neither learns again nor alerts on what is known. One row per
 * detector and key; the value is the detector's own JSON, read back only by that detector.
 */
export interface LearnedEntry {
  /** The detector (its alert type), e.g. new_device. */
  readonly detector: string;
  /** What the value is about, e.g. a MAC or an address; unique per detector. */
  readonly key: string;
  /** Plain JSON data. */
  readonly value: unknown;
}
