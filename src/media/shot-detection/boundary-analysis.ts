// From per-frame measurements to shot boundaries. Three kinds of transition, found in this order so a
// gradual one is never also cut inside:
//
// - fades through black: runs of frames darker than `blackLevel` (PySceneDetect's ThresholdDetector
//   idea), widened over the ramps into and out of the dark; the boundary is the middle of the dark run.
// - dissolves: over a window of `dissolveWindow` frames the picture changes a lot (the long-range score
//   is high) and it changes steadily: the frame-to-frame changes add up to about the long-range change,
//   because a cross-fade moves every pixel monotonically from one shot to the other. Motion (a pan, a
//   zoom, noise) changes pixels back and forth, so its frame-to-frame changes add up to far more than
//   the long-range change, and a hard cut puts the whole change into one frame. The boundary is the
//   middle of the merged candidate windows.
// - hard cuts: PySceneDetect's AdaptiveDetector rule. A frame's content score must reach `threshold`
//   and be `adaptiveRatio` times the mean score of the `adaptiveWindow` frames on each side, so fast
//   motion, whose scores are high everywhere, does not cut. A score of `strongThreshold` (the picture
//   replaced outright) is a cut whatever its neighbours.
//
// Boundaries closer than `minShotFrames` to the previous one are dropped (PySceneDetect keeps the
// earlier too). Pure functions over arrays: no I/O, tested and benchmarked on measured features.

export type TransitionType = 'cut' | 'fade' | 'dissolve';

export interface Transition {
  type: TransitionType;
  /** First frame of the new shot (the cut point an editor would use). */
  boundary: number;
  /** Frames the transition occupies, [start, end) (a cut: [boundary, boundary)). */
  start: number;
  end: number;
}

export interface FrameFeatures {
  /** Frames measured. */
  count: number;
  /** score[i]: content score between frames i-1 and i (score[0] = 0). */
  score: Float32Array;
  /** coarseScore[i]: the content score of the block-averaged frames i-1 and i. */
  coarseScore: Float32Array;
  /** Mean brightness of frame i, 0-255. */
  brightness: Float32Array;
  /** longScore[i]: content score of the block-averaged frames i - window and i (0 before the window fills). */
  longScore: Float32Array;
  /** The window of longScore, in frames. */
  window: number;
}

export interface BoundarySettings {
  threshold: number;
  strongThreshold: number;
  adaptiveRatio: number;
  adaptiveWindow: number;
  minShotFrames: number;
  blackLevel: number;
  /** Longest ramp into or out of black counted as part of a fade, in frames. */
  maxFadeFrames: number;
  dissolveThreshold: number;
  /** Long-range change / sum of frame changes at or above which a change counts as steady. */
  dissolveLinearity: number;
}

/** Brightness change per frame (0-255) that counts as a ramp into or out of black, not exposure drift. */
const FADE_SLOPE = 0.75;

function fades(features: FrameFeatures, settings: BoundarySettings): Transition[] {
  const { brightness, count } = features;
  const found: Transition[] = [];
  let i = 0;
  while (i < count) {
    if (brightness[i]! >= settings.blackLevel) {
      i += 1;
      continue;
    }
    const darkStart = i;
    while (i < count && brightness[i]! < settings.blackLevel) i += 1;
    const darkEnd = i;
    // Black at either end of the clip is a fade in or out of the clip, not between two shots.
    if (darkStart === 0 || darkEnd === count) continue;
    let start = darkStart;
    while (
      start > 0 &&
      darkStart - start < settings.maxFadeFrames &&
      brightness[start - 1]! > brightness[start]! + FADE_SLOPE
    )
      start -= 1;
    let end = darkEnd;
    while (
      end < count &&
      end - darkEnd < settings.maxFadeFrames &&
      brightness[end]! > brightness[end - 1]! + FADE_SLOPE
    )
      end += 1;
    found.push({ type: 'fade', boundary: Math.floor((darkStart + darkEnd) / 2), start, end });
  }
  return found;
}

function overlaps(a: { start: number; end: number }, spans: readonly { start: number; end: number }[], margin = 0) {
  return spans.some((span) => a.start < span.end + margin && span.start - margin < a.end);
}

function dissolves(features: FrameFeatures, settings: BoundarySettings, blocked: readonly Transition[]): Transition[] {
  const { coarseScore: score, longScore, window, count } = features;
  const windows: { start: number; end: number }[] = [];
  let sum = 0;
  for (let i = 1; i < count; i++) {
    sum += score[i]!;
    if (i > window) sum -= score[i - window]!;
    if (i < window) continue;
    const long = longScore[i]!;
    if (long < settings.dissolveThreshold || sum <= 0 || long / sum < settings.dissolveLinearity) continue;
    let largest = 0;
    for (let j = i - window + 1; j <= i; j++) largest = Math.max(largest, score[j]!);
    // Most of the change in one frame is a cut, found by the cut rule.
    if (largest > 0.5 * sum) continue;
    windows.push({ start: i - window, end: i + 1 });
  }
  const merged: { start: number; end: number }[] = [];
  for (const span of windows) {
    const last = merged.at(-1);
    if (last !== undefined && span.start <= last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  const found: Transition[] = [];
  for (const span of merged) {
    if (
      overlaps(span, blocked, 1) ||
      blocked.some((cut) => cut.type === 'cut' && cut.boundary >= span.start && cut.boundary < span.end)
    )
      continue;
    // The candidate windows reach past the dissolve on both sides; its frames are those that change
    // at least half as much as the span does on average.
    let total = 0;
    for (let j = span.start + 1; j < span.end; j++) total += score[j]!;
    const level = (0.5 * total) / Math.max(1, span.end - span.start - 1);
    let start = span.start + 1;
    while (start < span.end - 1 && score[start]! < level) start += 1;
    let end = span.end - 1;
    while (end > start && score[end]! < level) end -= 1;
    found.push({ type: 'dissolve', boundary: Math.floor((start + end + 1) / 2), start: start - 1, end: end + 1 });
  }
  return found;
}

function cuts(features: FrameFeatures, settings: BoundarySettings, blocked: readonly Transition[]): Transition[] {
  const { score, count } = features;
  const width = settings.adaptiveWindow;
  const found: Transition[] = [];
  for (let i = 1; i < count; i++) {
    const value = score[i]!;
    if (value < settings.threshold) continue;
    let neighbours = 0;
    let total = 0;
    for (let j = Math.max(1, i - width); j <= Math.min(count - 1, i + width); j++) {
      if (j === i) continue;
      total += score[j]!;
      neighbours += 1;
    }
    const mean = neighbours === 0 ? 0 : total / neighbours;
    const adaptive = mean < 1e-6 || value / mean >= settings.adaptiveRatio;
    if (!adaptive && value < settings.strongThreshold) continue;
    const cut = { type: 'cut' as const, boundary: i, start: i, end: i };
    if (overlaps({ start: i - 1, end: i + 1 }, blocked, 1)) continue;
    found.push(cut);
  }
  return found;
}

/** Every transition between shots, in order, at least `minShotFrames` apart. */
export function findTransitions(features: FrameFeatures, settings: BoundarySettings): Transition[] {
  // Cuts are the surest finding, so a dissolve window that holds one is not a dissolve.
  const fadeList = fades(features, settings);
  const cutList = cuts(features, settings, fadeList);
  const dissolveList = dissolves(features, settings, [...fadeList, ...cutList]);
  const all = [...fadeList, ...cutList, ...dissolveList].sort((a, b) => a.boundary - b.boundary);
  const kept: Transition[] = [];
  let previous = 0;
  for (const transition of all) {
    if (transition.boundary <= 0 || transition.boundary >= features.count) continue;
    if (transition.boundary - previous < settings.minShotFrames) continue;
    kept.push(transition);
    previous = transition.boundary;
  }
  return kept;
}

export interface ShotSpan {
  index: number;
  /** Frames of the shot, [start, end): boundary to boundary, so the shots tile the clip. */
  start: number;
  end: number;
  /** How the shot begins; null for the first shot. */
  transitionIn: Transition | null;
  /** The shot's own frames, [start, end): without the frames of the transitions into and out of it. */
  cleanStart: number;
  cleanEnd: number;
}

/** The shots the transitions delimit in a clip of `frameCount` frames. */
export function shotsFromTransitions(transitions: readonly Transition[], frameCount: number): ShotSpan[] {
  const shots: ShotSpan[] = [];
  for (let index = 0; index <= transitions.length; index++) {
    const incoming = transitions[index - 1] ?? null;
    const outgoing = transitions[index];
    const start = incoming?.boundary ?? 0;
    const end = outgoing?.boundary ?? frameCount;
    let cleanStart = Math.max(start, incoming?.end ?? start);
    let cleanEnd = Math.min(end, outgoing?.start ?? end);
    if (cleanEnd <= cleanStart) {
      // All transition: keep the middle frame.
      cleanStart = Math.floor((start + end - 1) / 2);
      cleanEnd = cleanStart + 1;
    }
    shots.push({ index, start, end, transitionIn: incoming, cleanStart, cleanEnd });
  }
  return shots;
}
