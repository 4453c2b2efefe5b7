// SMPTE timecodes in a clip's own frame rate. Integer rates count frames directly (HH:MM:SS:FF).
// 29.97 and 59.94 fps (30000/1001, 60000/1001) use drop-frame timecode (HH:MM:SS;FF): frame numbers
// 00 and 01 (00-03 at 59.94) are skipped at the start of every minute except every tenth, so the
// timecode keeps up with the clock. Other fractional rates (23.976) count at the nearest whole rate
// without dropping, as editing systems do.

export interface TimecodeRate {
  /** Frames per timecode second (24, 25, 30, 60, ...). */
  base: number;
  dropFrame: boolean;
  /** The real rate, frames per second. */
  fps: number;
}

const NTSC_FACTOR = 1000 / 1001;

export function timecodeRate(fps: number): TimecodeRate {
  if (!Number.isFinite(fps) || fps <= 0) throw new RangeError(`frame rate must be positive, got ${fps}`);
  const base = Math.max(1, Math.round(fps));
  const dropFrame = (base === 30 || base === 60) && Math.abs(fps - base * NTSC_FACTOR) < 0.005;
  return { base, dropFrame, fps };
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/** The timecode of frame `frame` (0 = 00:00:00:00). */
export function frameToTimecode(frame: number, rate: TimecodeRate): string {
  if (!Number.isInteger(frame) || frame < 0) throw new RangeError(`frame must be a non-negative integer, got ${frame}`);
  let count = frame;
  if (rate.dropFrame) {
    const dropped = rate.base / 15; // 2 at 29.97, 4 at 59.94
    const perMinute = rate.base * 60 - dropped;
    const perTenMinutes = perMinute * 10 + dropped;
    const tens = Math.floor(count / perTenMinutes);
    const rest = count % perTenMinutes;
    count += dropped * 9 * tens + (rest > dropped ? dropped * Math.floor((rest - dropped) / perMinute) : 0);
  }
  const frames = count % rate.base;
  const totalSeconds = Math.floor(count / rate.base);
  const hours = Math.floor(totalSeconds / 3600) % 24;
  const minutes = Math.floor(totalSeconds / 60) % 60;
  const seconds = totalSeconds % 60;
  return `${pad(hours)}:${pad(minutes)}:${pad(seconds)}${rate.dropFrame ? ';' : ':'}${pad(frames)}`;
}

/** The frame number of a timecode written by frameToTimecode (used to check exports). */
export function timecodeToFrame(timecode: string, rate: TimecodeRate): number {
  const match = /^(\d{2}):(\d{2}):(\d{2})[:;.,](\d{2})$/.exec(timecode);
  if (match === null) throw new RangeError(`not a timecode: ${timecode}`);
  const [hours, minutes, seconds, frames] = match.slice(1).map(Number) as [number, number, number, number];
  const totalMinutes = hours * 60 + minutes;
  let frame = (totalMinutes * 60 + seconds) * rate.base + frames;
  if (rate.dropFrame) {
    const dropped = rate.base / 15;
    frame -= dropped * (totalMinutes - Math.floor(totalMinutes / 10));
  }
  return frame;
}
