// What shot-boundary detection measures on each small decoded frame. The content score is the one
// PySceneDetect's ContentDetector uses: the mean absolute change of hue, saturation and value between
// two frames, averaged over the three channels, on a 0-255 scale. Hue, saturation and value separate a
// change of what is shown (hue/saturation shift) from a change of exposure (value), so a cut between
// two shots of similar brightness still scores high. Frames are tiny (DETECTION_WIDTH wide), so this
// costs a few microseconds per frame.

/** One frame as HSV planes, each 0-255, row-major. */
export interface HsvFrame {
  hue: Uint8Array;
  saturation: Uint8Array;
  value: Uint8Array;
  /** Mean of (R + G + B) / 3 over the frame, 0-255: how dark it is (fades through black). */
  brightness: number;
}

/** Packed rgb24 -> HSV planes (hue scaled to 0-255 so all three channels weigh alike). */
export function toHsv(rgb: Uint8Array, pixels: number, target?: HsvFrame): HsvFrame {
  const frame = target ?? {
    hue: new Uint8Array(pixels),
    saturation: new Uint8Array(pixels),
    value: new Uint8Array(pixels),
    brightness: 0,
  };
  let sum = 0;
  for (let i = 0; i < pixels; i++) {
    const r = rgb[i * 3]!;
    const g = rgb[i * 3 + 1]!;
    const b = rgb[i * 3 + 2]!;
    sum += r + g + b;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const chroma = max - min;
    frame.value[i] = max;
    frame.saturation[i] = max === 0 ? 0 : Math.round((255 * chroma) / max);
    let hue = 0;
    if (chroma > 0) {
      if (max === r) hue = (g - b) / chroma;
      else if (max === g) hue = 2 + (b - r) / chroma;
      else hue = 4 + (r - g) / chroma;
      if (hue < 0) hue += 6;
    }
    frame.hue[i] = Math.round((hue * 255) / 6) % 256;
  }
  frame.brightness = sum / (3 * pixels);
  return frame;
}

/**
 * Mean absolute HSV change between two frames, 0-255. Hue is an angle: the shorter way round the
 * circle is taken, so red at both ends of the scale is no change.
 */
export function contentScore(a: HsvFrame, b: HsvFrame): number {
  const pixels = a.value.length;
  let hue = 0;
  let saturation = 0;
  let value = 0;
  for (let i = 0; i < pixels; i++) {
    const dh = Math.abs(a.hue[i]! - b.hue[i]!);
    hue += dh > 128 ? 256 - dh : dh;
    saturation += Math.abs(a.saturation[i]! - b.saturation[i]!);
    value += Math.abs(a.value[i]! - b.value[i]!);
  }
  // Hue differences span 0-128 after wrapping; doubling puts them on the same 0-255 scale.
  return (2 * hue + saturation + value) / (3 * pixels);
}

export function copyHsv(frame: HsvFrame, target?: HsvFrame): HsvFrame {
  if (target === undefined) {
    return {
      hue: frame.hue.slice(),
      saturation: frame.saturation.slice(),
      value: frame.value.slice(),
      brightness: frame.brightness,
    };
  }
  target.hue.set(frame.hue);
  target.saturation.set(frame.saturation);
  target.value.set(frame.value);
  target.brightness = frame.brightness;
  return target;
}
