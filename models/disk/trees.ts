/**
 * Boosted depth-2 decision trees for binary classification: p = sigmoid(bias + sum over trees of one leaf value
 * [+ weight * min(x[feature], cap), an optional linear term]).
 * Every tree tests `x[f] < t` at the root and at each child (true = left), so the whole ensemble is a handful of
 * vectorized ONNX ops (Gather, Less, Where, ReduceSum, Add, Sigmoid). Pure: no I/O.
 */

/** A fitted ensemble of T depth-2 trees. Thresholds and leaves are float32 so the ONNX graph matches exactly. */
export interface TreeEnsemble {
  readonly featureCount: number;
  readonly bias: number;
  /** Per tree: feature tested at root, left child, right child. */
  readonly rootFeature: Int32Array;
  readonly leftFeature: Int32Array;
  readonly rightFeature: Int32Array;
  /** Per tree: thresholds (go left when x < threshold). */
  readonly rootThreshold: Float32Array;
  readonly leftThreshold: Float32Array;
  readonly rightThreshold: Float32Array;
  /** Per tree 4 leaves: [root<, child<], [root<, child>=], [root>=, child<], [root>=, child>=], i.e. index t*4 + q. */
  readonly leaves: Float32Array;
  /**
   * Optional linear term added to the logit: `weight * x[feature]` (the disk model's rule term on log1p(SMART 5 +
   * 197), which the trees cannot cancel; see DiskTrainConfig.ruleSlope). Absent = none.
   */
  readonly linear?: LinearTerm;
}

/**
 * A feature column with a fixed float32 weight, added to the ensemble's logit: `weight * min(x[feature], cap)`, or
 * `weight * x[feature]` without a cap (the term then grows without bound in the column).
 */
export interface LinearTerm {
  readonly feature: number;
  readonly weight: number;
  /** Largest column value the term counts (float32); absent = no cap. */
  readonly cap?: number;
}

/** The value a linear term adds to the logit for feature vector `x`. */
export function linearTermValue(t: LinearTerm, x: ArrayLike<number>): number {
  const v = x[t.feature]!;
  return t.weight * (t.cap === undefined ? v : Math.min(v, t.cap));
}

/** Number of trees in an ensemble. */
export function treeCount(m: TreeEnsemble): number {
  return m.rootFeature.length;
}

/** Threshold of a child that does not split: float32 max, so every finite feature value goes left. */
export const NO_SPLIT_THRESHOLD = 3.4028234663852886e38;

/** Raw score (log-odds) of one feature vector: the plain-TypeScript reference of the ONNX graph. */
export function treeLogit(m: TreeEnsemble, x: ArrayLike<number>): number {
  let s = 0;
  const T = treeCount(m);
  for (let t = 0; t < T; t++) {
    const left = x[m.rootFeature[t]!]! < m.rootThreshold[t]!;
    const child = left ? x[m.leftFeature[t]!]! < m.leftThreshold[t]! : x[m.rightFeature[t]!]! < m.rightThreshold[t]!;
    s += m.leaves[t * 4 + (left ? 0 : 2) + (child ? 0 : 1)]!;
  }
  return m.bias + s + (m.linear ? linearTermValue(m.linear, x) : 0);
}

/** Probability for one feature vector. */
export function treeProbability(m: TreeEnsemble, x: ArrayLike<number>): number {
  const z = treeLogit(m, x);
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Serializable form (JSON) of an ensemble. */
export interface TreeEnsembleJson {
  featureCount: number;
  bias: number;
  rootFeature: number[];
  leftFeature: number[];
  rightFeature: number[];
  rootThreshold: number[];
  leftThreshold: number[];
  rightThreshold: number[];
  leaves: number[];
  linear?: { feature: number; weight: number; cap?: number };
}

/** To plain JSON (float32 values are exact in JSON numbers). */
export function treesToJson(m: TreeEnsemble): TreeEnsembleJson {
  return {
    featureCount: m.featureCount,
    bias: m.bias,
    rootFeature: [...m.rootFeature],
    leftFeature: [...m.leftFeature],
    rightFeature: [...m.rightFeature],
    rootThreshold: [...m.rootThreshold],
    leftThreshold: [...m.leftThreshold],
    rightThreshold: [...m.rightThreshold],
    leaves: [...m.leaves],
    ...(m.linear
      ? {
          linear: {
            feature: m.linear.feature,
            weight: m.linear.weight,
            ...(m.linear.cap === undefined ? {} : { cap: m.linear.cap }),
          },
        }
      : {}),
  };
}

/** From JSON produced by {@link treesToJson}. */
export function treesFromJson(j: TreeEnsembleJson): TreeEnsemble {
  return {
    featureCount: j.featureCount,
    bias: Math.fround(j.bias),
    rootFeature: Int32Array.from(j.rootFeature),
    leftFeature: Int32Array.from(j.leftFeature),
    rightFeature: Int32Array.from(j.rightFeature),
    rootThreshold: Float32Array.from(j.rootThreshold),
    leftThreshold: Float32Array.from(j.leftThreshold),
    rightThreshold: Float32Array.from(j.rightThreshold),
    leaves: Float32Array.from(j.leaves),
    ...(j.linear
      ? {
          linear: {
            feature: j.linear.feature,
            weight: Math.fround(j.linear.weight),
            ...(j.linear.cap === undefined ? {} : { cap: Math.fround(j.linear.cap) }),
          },
        }
      : {}),
  };
}
