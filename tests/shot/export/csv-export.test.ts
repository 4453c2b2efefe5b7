import { describe, expect, it } from 'vitest';
import { shotsToCsv } from '../../../src/shot/export/csv-export.js';
import { fixtureClip } from './fixture-clip.js';

/** RFC 4180 reader: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 1;
    } else field += char;
  }
  return rows;
}

describe('shotsToCsv', () => {
  it('writes one row per shot with timecodes, labels and confidences', () => {
    const rows = parseCsv(shotsToCsv(fixtureClip()));
    expect(rows).toHaveLength(4);
    const [header, first, second, third] = rows as [string[], string[], string[], string[]];
    expect(header).toEqual([
      'clip',
      'shot',
      'start_frame',
      'end_frame',
      'frames',
      'start_seconds',
      'end_seconds',
      'start_timecode',
      'end_timecode',
      'transition_in',
      'analysed_as',
      'shot_size',
      'shot_size_confidence',
      'camera_angle',
      'camera_angle_confidence',
      'prompt_fragment',
    ]);
    expect(first[0]).toBe('reel "one", take 2.mp4');
    expect(second.slice(1, 11)).toEqual([
      '1',
      '50',
      '100',
      '50',
      '2.000',
      '4.000',
      '00:00:02:00',
      '00:00:04:00',
      'cut',
      'video',
    ]);
    expect(second.slice(11)).toEqual(['Close Up', '0.8125', 'Eye Level', '0.5000', 'close-up']);
    expect(third[10]).toBe('still');
    expect(first[9]).toBe('');
  });
});
