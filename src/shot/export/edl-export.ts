// A CMX 3600 edit decision list: one event per shot, each a cut ("C") from the source clip (reel AX,
// the auxiliary source file-based tools use, named by a FROM CLIP NAME comment) onto a record
// timeline that matches the source timecode one to one, so the events sit where the shots are.
// The labels travel as comment lines (`* SHOTVL ...`, which every reader skips or keeps as notes) and
// as DaVinci Resolve's marker line (`|C:colour |M:name |D:duration`, imported with "Timeline Markers
// from EDL"). CMX 3600 numbers events with three digits and names no more than 999.
import { labelSummary, type ExportClip } from './export-types.js';
import { frameToTimecode, timecodeRate } from './timecode.js';

export const EDL_MAX_EVENTS = 999;

/** EDL lines are plain ASCII without line breaks; anything else is replaced. */
function ascii(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

export function shotsToEdl(clip: ExportClip, title = clip.name): string {
  if (clip.shots.length > EDL_MAX_EVENTS)
    throw new RangeError(
      `A CMX 3600 EDL holds at most ${EDL_MAX_EVENTS} events; this clip has ${clip.shots.length} shots.`,
    );
  const rate = timecodeRate(clip.frameRate);
  const lines = [`TITLE: ${ascii(title).slice(0, 70)}`, `FCM: ${rate.dropFrame ? 'DROP FRAME' : 'NON-DROP FRAME'}`, ''];
  for (const shot of clip.shots) {
    const start = frameToTimecode(shot.startFrame, rate);
    const end = frameToTimecode(shot.endFrame, rate);
    const event = String(shot.index + 1).padStart(3, '0');
    lines.push(`${event}  AX       V     C        ${start} ${end} ${start} ${end}`);
    lines.push(`* FROM CLIP NAME: ${ascii(clip.name)}`);
    if (shot.transitionIn !== null && shot.transitionIn !== 'cut')
      lines.push(`* SHOTVL TRANSITION IN: ${shot.transitionIn.toUpperCase()}`);
    lines.push(`* SHOTVL ${shot.still ? 'STILL' : 'VIDEO'}: ${ascii(labelSummary(shot))}`);
    const name = shot.promptFragment === '' ? `Shot ${shot.index + 1}` : shot.promptFragment;
    lines.push(` |C:ResolveColorBlue |M:${ascii(name)} |D:${shot.endFrame - shot.startFrame}`);
    lines.push('');
  }
  return lines.join('\r\n');
}
